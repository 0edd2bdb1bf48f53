//! A portable dump of the whole store: every sled tree with its records, independent of sled's file format
//! (for backups, and to migrate to another sled version).
//!
//! Format: the line `yusuan-store-dump 1\n`; per tree `T`, name length (u32 big-endian), name, then per record
//! `R`, key length, key, value length, value; after the last tree `E`.

use super::Store;
use crate::error::{Error, Result};
use std::io::{BufReader, BufWriter, Read, Write};
use std::path::Path;

const MAGIC: &[u8] = b"yusuan-store-dump 1\n";

/// Whether a record is a secret of the running instance that no dump may carry: live sessions, and the key
/// that signs session cookies (a restored store makes a new one, so cookies from before stop working).
fn is_instance_secret(tree: &[u8], key: &[u8]) -> bool {
    tree == b"sessions" || (tree == b"settings" && key == b"cookie_key")
}

/// What a dump holds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DumpCounts {
    pub trees: usize,
    pub records: u64,
}

fn write_chunk(w: &mut impl Write, bytes: &[u8]) -> std::io::Result<()> {
    let len = u32::try_from(bytes.len())
        .map_err(|_| std::io::Error::other("a record is larger than 4 GiB"))?;
    w.write_all(&len.to_be_bytes())?;
    w.write_all(bytes)
}

fn read_chunk(r: &mut impl Read) -> std::io::Result<Vec<u8>> {
    let mut len = [0u8; 4];
    r.read_exact(&mut len)?;
    let mut buf = vec![0u8; u32::from_be_bytes(len) as usize];
    r.read_exact(&mut buf)?;
    Ok(buf)
}

fn read_tag(r: &mut impl Read) -> std::io::Result<u8> {
    let mut t = [0u8; 1];
    r.read_exact(&mut t)?;
    Ok(t[0])
}

impl Store {
    /// Writes every tree to `path` (created or replaced), without the instance's secrets (sessions and the
    /// cookie key). The caller keeps writers out (the write gate) so
    /// that the trees agree with each other.
    pub fn dump_to(&self, path: &Path) -> Result<DumpCounts> {
        let io = |e| Error::io(path, e);
        let file = std::fs::File::create(path).map_err(io)?;
        let mut w = BufWriter::new(file);
        let mut counts = DumpCounts::default();
        w.write_all(MAGIC).map_err(io)?;
        let mut names = self.db.tree_names();
        names.sort();
        for name in names {
            let tree = self.db.open_tree(&name)?;
            w.write_all(b"T").map_err(io)?;
            write_chunk(&mut w, &name).map_err(io)?;
            for item in tree.iter() {
                let (k, v) = item?;
                if is_instance_secret(&name, &k) {
                    continue;
                }
                w.write_all(b"R").map_err(io)?;
                write_chunk(&mut w, &k).map_err(io)?;
                write_chunk(&mut w, &v).map_err(io)?;
                counts.records += 1;
            }
            counts.trees += 1;
        }
        w.write_all(b"E").map_err(io)?;
        let file = w.into_inner().map_err(|e| io(e.into_error()))?;
        file.sync_all().map_err(io)?;
        Ok(counts)
    }

    /// Creates a store in the empty folder `dir` from a dump written by `dump_to`, flushed to disk.
    pub fn load_dump(dir: &Path, dump: &Path) -> Result<(Store, DumpCounts)> {
        let bad =
            |what: &str| Error::Invalid(format!("{}: not a store dump ({what})", dump.display()));
        let file = std::fs::File::open(dump).map_err(|e| Error::io(dump, e))?;
        let mut r = BufReader::new(file);
        let mut magic = vec![0u8; MAGIC.len()];
        r.read_exact(&mut magic).map_err(|_| bad("too short"))?;
        if magic != MAGIC {
            return Err(bad("unknown header"));
        }
        let store = Store::open(dir)?;
        let mut counts = DumpCounts::default();
        let mut tree: Option<sled::Tree> = None;
        loop {
            match read_tag(&mut r).map_err(|_| bad("cut short"))? {
                b'T' => {
                    let name = read_chunk(&mut r).map_err(|_| bad("cut short"))?;
                    tree = Some(store.db.open_tree(name)?);
                    counts.trees += 1;
                }
                b'R' => {
                    let k = read_chunk(&mut r).map_err(|_| bad("cut short"))?;
                    let v = read_chunk(&mut r).map_err(|_| bad("cut short"))?;
                    tree.as_ref()
                        .ok_or_else(|| bad("a record before its tree"))?
                        .insert(k, v)?;
                    counts.records += 1;
                }
                b'E' => break,
                _ => return Err(bad("unknown record tag")),
            }
        }
        store.flush()?;
        Ok((store, counts))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_dump_loads_into_an_equal_store_and_a_cut_dump_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("a")).unwrap();
        store.docs.insert("d1", &b"{}"[..]).unwrap();
        store.states.insert("d1", &b"I"[..]).unwrap();
        store
            .db
            .open_tree("extra")
            .unwrap()
            .insert([0u8, 1, 2], vec![7u8; 70_000])
            .unwrap();
        let dump = dir.path().join("store.dump");
        let written = store.dump_to(&dump).unwrap();
        let (copy, read) = Store::load_dump(&dir.path().join("b"), &dump).unwrap();
        assert_eq!(written, read);
        for name in store.db.tree_names() {
            let a: Vec<_> = store
                .db
                .open_tree(&name)
                .unwrap()
                .iter()
                .map(|r| r.unwrap())
                .collect();
            let b: Vec<_> = copy
                .db
                .open_tree(&name)
                .unwrap()
                .iter()
                .map(|r| r.unwrap())
                .collect();
            assert_eq!(a, b, "tree {}", String::from_utf8_lossy(&name));
        }
        let bytes = std::fs::read(&dump).unwrap();
        std::fs::write(&dump, &bytes[..bytes.len() - 10]).unwrap();
        let e = Store::load_dump(&dir.path().join("c"), &dump).unwrap_err();
        assert!(e.to_string().contains("cut short"), "{e}");
        std::fs::write(&dump, b"something else").unwrap();
        let e = Store::load_dump(&dir.path().join("d"), &dump).unwrap_err();
        assert!(e.to_string().contains("not a store dump"), "{e}");
    }

    #[test]
    fn dumps_leave_out_sessions_and_the_cookie_key() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("a")).unwrap();
        store.put_secret(&[7u8; 32]).unwrap();
        let settings = store.db.open_tree("settings").unwrap();
        settings.insert("instance", &b"{}"[..]).unwrap();
        store
            .db
            .open_tree("sessions")
            .unwrap()
            .insert("s1", &b"{\"user\":\"admin\"}"[..])
            .unwrap();
        let dump = dir.path().join("store.dump");
        store.dump_to(&dump).unwrap();
        let bytes = std::fs::read(&dump).unwrap();
        assert!(!bytes.windows(10).any(|w| w == b"cookie_key"));
        assert!(!bytes.windows(5).any(|w| w == b"admin"));
        let (copy, _) = Store::load_dump(&dir.path().join("b"), &dump).unwrap();
        assert_eq!(copy.get_secret().unwrap(), None);
        assert!(
            copy.db
                .open_tree("settings")
                .unwrap()
                .contains_key("instance")
                .unwrap()
        );
        assert!(copy.db.open_tree("sessions").unwrap().is_empty());
    }
}
