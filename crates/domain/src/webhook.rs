//! Webhooks: which events a subscription receives, and where deliveries may go.
//!
//! An event is named `{resource}.{action}` after the change it announces (`organization.create`,
//! `strategic_plan.approve_by_assembly`, `project.submit`, `progress_report.create`); a
//! subscription lists event types, `{resource}.*` or `*`.

use std::net::IpAddr;

use crate::{DomainError, FieldError};

/// The event type of a change.
pub fn event_type(resource: &str, action: &str) -> String {
    format!("{resource}.{action}")
}

/// Whether a subscription to `types` receives `event`.
pub fn subscribed(types: &[String], event: &str) -> bool {
    let resource = event.split('.').next().unwrap_or_default();
    types.iter().any(|t| t == "*" || t == event || t.strip_suffix(".*") == Some(resource))
}

/// 1–50 event types, each `*`, `{resource}.*` or `{resource}.{action}` in lower snake case.
pub fn check_event_types(types: &[String]) -> Result<(), DomainError> {
    let word = |w: &str| !w.is_empty() && w.len() <= 60 && w.bytes().all(|b| b.is_ascii_lowercase() || b == b'_');
    let well_formed = |t: &str| t == "*" || t.split_once('.').is_some_and(|(r, a)| word(r) && (a == "*" || word(a)));
    if types.is_empty() || types.len() > 50 {
        return Err(DomainError::invalid("event_types", "count", "name 1 to 50 event types (`*` for all)"));
    }
    let errors: Vec<FieldError> = types
        .iter()
        .enumerate()
        .filter(|(_, t)| !well_formed(t))
        .map(|(i, _)| FieldError::new(format!("event_types[{i}]"), "format", "an event type is `*`, `resource.*` or `resource.action`"))
        .collect();
    if errors.is_empty() { Ok(()) } else { Err(DomainError::Invalid(errors)) }
}

/// Where a delivery may go (against server-side request forgery): `https` to a public address,
/// or any scheme to a host the operator allowed (`host` or `host:port`). Loopback, private,
/// link-local and unspecified addresses are refused unless allowed by name. `addresses` are
/// the host's addresses as resolved now (an IP literal resolves to itself).
pub fn check_target(scheme: &str, host: &str, port: u16, addresses: &[IpAddr], allowed_hosts: &[String]) -> Result<(), &'static str> {
    let allowed = allowed_hosts.iter().any(|a| a.eq_ignore_ascii_case(host) || a.eq_ignore_ascii_case(&format!("{host}:{port}")));
    if allowed {
        return Ok(());
    }
    if scheme != "https" {
        return Err("deliveries go over https (or to a host the operator allowed)");
    }
    if addresses.is_empty() {
        return Err("the host does not resolve");
    }
    if addresses.iter().any(|a| !is_public(*a)) {
        return Err("the host resolves to a loopback, private or link-local address");
    }
    Ok(())
}

fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let [a, b, ..] = v4.octets();
            !(v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || v4.is_documentation()
                || a == 0
                || (a == 100 && (64..128).contains(&b)))
        }
        IpAddr::V6(v6) => {
            let first = v6.segments()[0];
            !(v6.is_loopback() || v6.is_unspecified() || (first & 0xfe00) == 0xfc00 || (first & 0xffc0) == 0xfe80)
                && v6.to_ipv4_mapped().is_none_or(|v4| is_public(IpAddr::V4(v4)))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subscriptions_match_events() {
        let types = |t: &[&str]| t.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
        // (subscription, event, receives)
        let cases = [
            (types(&["*"]), "project.submit", true),
            (types(&["project.*"]), "project.submit", true),
            (types(&["project.*"]), "projects.submit", false),
            (types(&["project.submit"]), "project.submit", true),
            (types(&["project.submit"]), "project.approve", false),
            (types(&["measure.update", "progress_report.create"]), "progress_report.create", true),
        ];
        for (subscription, event, expected) in cases {
            assert_eq!(subscribed(&subscription, event), expected, "{subscription:?} {event}");
        }
        assert_eq!(event_type("strategic_plan", "approve_by_assembly"), "strategic_plan.approve_by_assembly");
        assert!(check_event_types(&types(&["*", "project.*", "measure.update"])).is_ok());
        assert!(check_event_types(&[]).is_err());
        for bad in ["Project.submit", "project", "project.", ".x", "a.b.c", "project.sub mit"] {
            assert!(check_event_types(&types(&[bad])).is_err(), "{bad}");
        }
    }

    #[test]
    fn deliveries_go_to_public_https_or_allowed_hosts() {
        let ip = |s: &str| s.parse::<IpAddr>().unwrap_or(IpAddr::from([0, 0, 0, 0]));
        let allowed = vec!["127.0.0.1".to_owned(), "hooks.internal:8443".to_owned()];
        // (scheme, host, port, addresses, allowed?)
        let cases: Vec<(&str, &str, u16, Vec<IpAddr>, bool)> = vec![
            ("https", "example.org", 443, vec![ip("93.184.215.14")], true),
            ("http", "example.org", 80, vec![ip("93.184.215.14")], false),
            ("https", "localhost", 443, vec![ip("127.0.0.1")], false),
            ("https", "router", 443, vec![ip("192.168.1.1")], false),
            ("https", "meta", 443, vec![ip("169.254.169.254")], false),
            ("https", "cgnat", 443, vec![ip("100.64.0.1")], false),
            ("https", "v6", 443, vec![ip("::1")], false),
            ("https", "v6ula", 443, vec![ip("fd00::1")], false),
            ("https", "mapped", 443, vec![ip("::ffff:10.0.0.1")], false),
            ("https", "nowhere", 443, vec![], false),
            ("http", "127.0.0.1", 9000, vec![ip("127.0.0.1")], true),
            ("http", "hooks.internal", 8443, vec![ip("10.1.2.3")], true),
            ("http", "hooks.internal", 80, vec![ip("10.1.2.3")], false),
        ];
        for (scheme, host, port, addresses, expected) in cases {
            assert_eq!(check_target(scheme, host, port, &addresses, &allowed).is_ok(), expected, "{scheme}://{host}:{port} {addresses:?}");
        }
    }
}
