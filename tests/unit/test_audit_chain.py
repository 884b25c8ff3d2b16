from __future__ import annotations

from dataclasses import replace

from cbec.audit.model import GENESIS, EventDraft, chain, verify_chain

AT = "2024-11-26T02:00:00.000000+00:00"


def _events(n: int):  # type: ignore[no-untyped-def]
    drafts = [
        EventDraft("user:1:a", "enterprise.update", "enterprise", str(i), {"v": i}, {"v": i + 1}) for i in range(n)
    ]
    return chain(drafts, 0, GENESIS, AT)


def test_chain_numbers_and_links_events() -> None:
    events = _events(3)
    assert [e.seq for e in events] == [1, 2, 3]
    assert events[0].prev_hash == GENESIS
    assert events[1].prev_hash == events[0].hash
    assert events[0].before == '{"v":0}'


def test_chain_continues_after_a_head() -> None:
    first = _events(2)
    more = chain([EventDraft("system", "x", "y", "1")], 2, first[-1].hash, AT)
    assert more[0].seq == 3
    report = verify_chain([*first, *more], (3, more[0].hash))
    assert report.ok
    assert report.checked == 3


def test_intact_chain_verifies() -> None:
    events = _events(5)
    report = verify_chain(events, (5, events[-1].hash))
    assert report.as_dict() == {"ok": True, "checked": 5, "first_bad_seq": None, "problem": None}


def test_edited_event_is_named() -> None:
    events = _events(5)
    events[2] = replace(events[2], actor="user:9:mallory")
    report = verify_chain(events, (5, events[-1].hash))
    assert (report.ok, report.first_bad_seq, report.checked) == (False, 3, 2)
    assert report.problem == "event 3 was altered: its content does not match its hash"


def test_missing_middle_event_is_named() -> None:
    events = _events(5)
    del events[1]
    report = verify_chain(events, (5, events[-1].hash))
    assert (report.ok, report.first_bad_seq) == (False, 2)
    assert report.problem == "event 2 is missing (next stored event is 3)"


def test_removed_newest_events_are_caught_by_the_head() -> None:
    events = _events(5)
    report = verify_chain(events[:4], (5, events[-1].hash))
    assert (report.ok, report.first_bad_seq) == (False, 5)


def test_recomputed_hash_without_relinking_is_caught() -> None:
    events = _events(3)
    forged = chain([EventDraft("user:9:m", "x", "y", "1")], 1, GENESIS, AT)[0]
    report = verify_chain([events[0], forged, events[2]], (3, events[2].hash))
    assert (report.ok, report.first_bad_seq) == (False, 2)
    assert report.problem == "event 2 does not link to event 1"


def test_empty_log_without_head_is_intact() -> None:
    assert verify_chain([], None).ok
