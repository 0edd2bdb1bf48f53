//! A proposal's lifecycle: its status and deadline are derived from its events, and an event that does not
//! fit the current status is refused with a reason.
//!
//! Transitions (status before → event → status after):
//!
//! | event     | allowed in                              | result                         |
//! |-----------|-----------------------------------------|--------------------------------|
//! | 交办      | 待交办                                  | 已交办; deadline +3 months     |
//! | 签收      | 已交办                                  | 已签收                         |
//! | 办理中    | 已交办, 已签收, 重新办理                | 办理中                         |
//! | 延期      | 已交办, 已签收, 办理中 (once)           | unchanged; deadline +6 months  |
//! | 答复      | 已交办, 已签收, 办理中, 重新办理        | 已答复 (needs grade and text)  |
//! | 代表反馈  | 已答复 (once per reply)                 | 已答复 (needs satisfaction)    |
//! | 重新办理  | 已答复 after 不满意                     | 重新办理; deadline +1 month    |
//! | 办结      | 已答复                                  | 已办结                         |
//!
//! Events are in date order: an event dated before the previous one is refused.

use super::model::{Event, EventKind, Grade, Satisfaction, Status};
use crate::model::Date;
use chrono::Months;
use serde::Serialize;

/// Months from assignment to the deadline.
pub const HANDLING_MONTHS: u32 = 3;
/// Months from assignment to the deadline after an extension (延期).
pub const EXTENDED_MONTHS: u32 = 6;
/// Months from re-handling (重新办理) to the new deadline.
pub const REOPEN_MONTHS: u32 = 1;
/// Days before the deadline in which a proposal counts as due soon.
pub const DUE_SOON_DAYS: i64 = 14;

/// Why an event was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("不能记录「{event}」（当前状态：{status}）：{reason}")]
pub struct Refusal {
    pub event: EventKind,
    pub status: Status,
    pub reason: String,
}

/// What a proposal's events add up to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct State {
    pub status: Status,
    pub assigned: Option<Date>,
    /// The handling deadline; None before assignment.
    pub deadline: Option<Date>,
    pub extended: bool,
    /// The date and grade of the latest reply.
    pub replied: Option<Date>,
    pub grade: Option<Grade>,
    /// The deputy's feedback on the latest reply.
    pub satisfaction: Option<Satisfaction>,
    /// How many times the proposal was handled again.
    pub reopened: u32,
    /// The date of the last event.
    pub last: Option<Date>,
}

impl State {
    /// The state of a proposal without events.
    pub fn new() -> State {
        State {
            status: Status::Registered,
            assigned: None,
            deadline: None,
            extended: false,
            replied: None,
            grade: None,
            satisfaction: None,
            reopened: 0,
            last: None,
        }
    }

    /// Whether the proposal is being handled (a reply is owed).
    pub fn open(&self) -> bool {
        matches!(
            self.status,
            Status::Assigned | Status::Received | Status::Handling | Status::Reopened
        )
    }

    /// Whether a reply is owed and the deadline has passed on `today`.
    pub fn overdue(&self, today: Date) -> bool {
        self.open() && self.deadline.is_some_and(|d| d < today)
    }

    /// Whether a reply is owed and the deadline falls within the next 14 days of `today`.
    pub fn due_soon(&self, today: Date) -> bool {
        self.open()
            && self
                .deadline
                .is_some_and(|d| d >= today && (d - today).num_days() <= DUE_SOON_DAYS)
    }

    /// Applies one event, or says why it does not fit. `stated_deadline` is the source's 办理期限, which
    /// replaces the default three months at assignment.
    pub fn apply(&self, event: &Event, stated_deadline: Option<Date>) -> Result<State, Refusal> {
        let refuse = |reason: &str| Refusal {
            event: event.kind,
            status: self.status,
            reason: reason.to_string(),
        };
        if self.status == Status::Closed {
            return Err(refuse("建议已办结，不能再记录办理事件"));
        }
        if let Some(last) = self.last
            && event.date < last
        {
            return Err(refuse(&format!(
                "日期 {} 早于上一事件的日期 {last}",
                event.date
            )));
        }
        let mut next = self.clone();
        next.last = Some(event.date);
        use Status::*;
        match event.kind {
            EventKind::Assign => {
                if self.status != Registered {
                    return Err(refuse("建议已经交办"));
                }
                next.status = Assigned;
                next.assigned = Some(event.date);
                next.deadline = stated_deadline.or_else(|| add_months(event.date, HANDLING_MONTHS));
            }
            EventKind::Receive => {
                if self.status != Assigned {
                    return Err(refuse("只有已交办、尚未签收的建议可以签收"));
                }
                next.status = Received;
            }
            EventKind::Handle => {
                if !matches!(self.status, Assigned | Received | Reopened) {
                    return Err(refuse("只有已交办、已签收或重新办理的建议可以进入办理"));
                }
                next.status = Handling;
            }
            EventKind::Extend => {
                if !matches!(self.status, Assigned | Received | Handling) {
                    return Err(refuse("只有答复前的建议可以延期"));
                }
                if self.extended {
                    return Err(refuse("已经延期过一次"));
                }
                next.extended = true;
                let assigned = self.assigned.unwrap_or(event.date);
                next.deadline = add_months(assigned, EXTENDED_MONTHS).max(self.deadline);
            }
            EventKind::Reply => {
                if !self.open() {
                    return Err(refuse("只有办理中的建议可以答复"));
                }
                let Some(grade) = event.grade else {
                    return Err(refuse("答复须注明答复类别（A/B/C/D）"));
                };
                if event.text.as_deref().is_none_or(|t| t.trim().is_empty()) {
                    return Err(refuse("答复须有答复内容"));
                }
                next.status = Replied;
                next.replied = Some(event.date);
                next.grade = Some(grade);
                next.satisfaction = None;
            }
            EventKind::Feedback => {
                if self.status != Replied {
                    return Err(refuse("只有已答复的建议可以记录代表反馈"));
                }
                if self.satisfaction.is_some() {
                    return Err(refuse("这次答复已有代表反馈"));
                }
                let Some(s) = event.satisfaction else {
                    return Err(refuse("代表反馈须注明满意度（满意/基本满意/不满意）"));
                };
                next.satisfaction = Some(s);
            }
            EventKind::Reopen => {
                if self.status != Replied || self.satisfaction != Some(Satisfaction::Unsatisfied) {
                    return Err(refuse("只有代表对答复不满意的建议可以重新办理"));
                }
                next.status = Reopened;
                next.reopened += 1;
                next.deadline = add_months(event.date, REOPEN_MONTHS);
            }
            EventKind::Close => {
                if self.status != Replied {
                    return Err(refuse("只有已答复的建议可以办结"));
                }
                next.status = Closed;
            }
        }
        Ok(next)
    }
}

impl Default for State {
    fn default() -> Self {
        State::new()
    }
}

/// Adds calendar months (the 31st becomes the month's last day).
pub fn add_months(date: Date, months: u32) -> Option<Date> {
    date.checked_add_months(Months::new(months))
}

/// The state after all events, or the first refusal with the index of the refused event.
pub fn derive(events: &[Event], stated_deadline: Option<Date>) -> Result<State, (usize, Refusal)> {
    let mut state = State::new();
    for (i, e) in events.iter().enumerate() {
        state = state.apply(e, stated_deadline).map_err(|r| (i, r))?;
    }
    Ok(state)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Date {
        s.parse().unwrap()
    }

    fn ev(kind: EventKind, date: &str) -> Event {
        Event::new(kind, d(date), "test")
    }

    fn reply(date: &str, grade: Grade) -> Event {
        Event {
            grade: Some(grade),
            text: Some("答复内容".into()),
            ..ev(EventKind::Reply, date)
        }
    }

    fn feedback(date: &str, s: Satisfaction) -> Event {
        Event {
            satisfaction: Some(s),
            ..ev(EventKind::Feedback, date)
        }
    }

    #[test]
    fn full_path_to_closed() {
        let events = vec![
            ev(EventKind::Assign, "2024-03-20"),
            ev(EventKind::Receive, "2024-03-22"),
            ev(EventKind::Handle, "2024-04-01"),
            reply("2024-06-01", Grade::B),
            feedback("2024-06-10", Satisfaction::Basically),
            ev(EventKind::Close, "2024-06-15"),
        ];
        let s = derive(&events, None).unwrap();
        assert_eq!(s.status, Status::Closed);
        assert_eq!(s.deadline, Some(d("2024-06-20")));
        assert_eq!(s.grade, Some(Grade::B));
        assert_eq!(s.satisfaction, Some(Satisfaction::Basically));
    }

    #[test]
    fn deadlines_three_six_and_one_month() {
        let s = derive(&[ev(EventKind::Assign, "2024-11-30")], None).unwrap();
        assert_eq!(s.deadline, Some(d("2025-02-28")), "month end is clamped");
        let s = s.apply(&ev(EventKind::Extend, "2025-01-10"), None).unwrap();
        assert_eq!(s.deadline, Some(d("2025-05-30")));
        assert!(s.extended);
        let s = s.apply(&reply("2025-03-01", Grade::C), None).unwrap();
        let s = s
            .apply(&feedback("2025-03-05", Satisfaction::Unsatisfied), None)
            .unwrap();
        let s = s.apply(&ev(EventKind::Reopen, "2025-03-10"), None).unwrap();
        assert_eq!(s.status, Status::Reopened);
        assert_eq!(s.deadline, Some(d("2025-04-10")));
        // A stated deadline replaces the default at assignment.
        let s = derive(
            &[ev(EventKind::Assign, "2024-01-01")],
            Some(d("2024-02-15")),
        )
        .unwrap();
        assert_eq!(s.deadline, Some(d("2024-02-15")));
    }

    #[test]
    fn refusals_carry_reasons() {
        let assigned = derive(&[ev(EventKind::Assign, "2024-03-20")], None).unwrap();
        let r = assigned
            .apply(&ev(EventKind::Close, "2024-04-01"), None)
            .unwrap_err();
        assert_eq!(r.status, Status::Assigned);
        assert!(r.reason.contains("已答复"), "{r}");
        let r = assigned
            .apply(&ev(EventKind::Reopen, "2024-04-01"), None)
            .unwrap_err();
        assert!(r.reason.contains("不满意"));
        let r = assigned
            .apply(&ev(EventKind::Reply, "2024-04-01"), None)
            .unwrap_err();
        assert!(r.reason.contains("答复类别"));
        let r = assigned
            .apply(&ev(EventKind::Receive, "2024-03-01"), None)
            .unwrap_err();
        assert!(r.reason.contains("早于"));
        let r = assigned
            .apply(&ev(EventKind::Assign, "2024-03-21"), None)
            .unwrap_err();
        assert!(r.reason.contains("已经交办"));
        let extended = assigned
            .apply(&ev(EventKind::Extend, "2024-04-01"), None)
            .unwrap();
        assert!(
            extended
                .apply(&ev(EventKind::Extend, "2024-04-02"), None)
                .is_err()
        );
        // Satisfied feedback does not allow re-handling; a second feedback is refused.
        let replied = extended
            .apply(&reply("2024-05-01", Grade::A), None)
            .unwrap();
        let fed = replied
            .apply(&feedback("2024-05-02", Satisfaction::Satisfied), None)
            .unwrap();
        assert!(
            fed.apply(&ev(EventKind::Reopen, "2024-05-03"), None)
                .is_err()
        );
        assert!(
            fed.apply(&feedback("2024-05-03", Satisfaction::Unsatisfied), None)
                .is_err()
        );
        let closed = fed
            .apply(&ev(EventKind::Close, "2024-05-04"), None)
            .unwrap();
        let r = closed
            .apply(&ev(EventKind::Handle, "2024-05-05"), None)
            .unwrap_err();
        assert!(r.reason.contains("已办结"));
        // derive reports which event was refused.
        let (i, _) = derive(
            &[
                ev(EventKind::Assign, "2024-01-01"),
                ev(EventKind::Close, "2024-02-01"),
            ],
            None,
        )
        .unwrap_err();
        assert_eq!(i, 1);
    }

    #[test]
    fn overdue_and_due_soon_relative_to_today() {
        let s = derive(&[ev(EventKind::Assign, "2024-03-20")], None).unwrap();
        assert!(!s.overdue(d("2024-06-20")));
        assert!(s.overdue(d("2024-06-21")));
        assert!(s.due_soon(d("2024-06-06")));
        assert!(!s.due_soon(d("2024-06-05")));
        let replied = s.apply(&reply("2024-07-01", Grade::D), None).unwrap();
        assert!(!replied.overdue(d("2024-08-01")));
        assert!(!replied.due_soon(d("2024-06-10")));
    }
}
