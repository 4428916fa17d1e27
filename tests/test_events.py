"""Event sentences of a long page (summarizers/methods/events.py): what the headline's people did, the most
retold first, one sentence per event."""

from __future__ import annotations

from summarizers.methods.events import event_sentences, reports_event
from summarizers.methods.verify import content_words

TITLE = "Mayor Reyes and Governor Holt debate water rights on live radio"
SENTENCES = [
    "Water has long divided the valley and its two largest towns.",  # background: no event
    "Reyes accused Holt of draining the reservoir to help his donors.",  # event, retold twice below
    "The debate began 40 minutes late after a power cut at the station.",  # event, retold once
    "“We will not give up a drop,” Reyes said.",  # a quotation, not an event sentence
    "In 2019, Reyes sued the state over the same reservoir.",  # another year: background
    "Holt is a former engineer who built the dam.",  # present tense: a description
    "Listeners heard the mayor say the governor was draining the reservoir for donors.",
    "Reyes said Holt was draining the reservoir for his donors.",
    "The station said a power cut at the station delayed the start by 40 minutes.",
    "Holt denied the charge and promised an audit of the reservoir.",  # event, told once
]
WORDS = [content_words(s) for s in SENTENCES]


def test_event_sentences_name_the_headline_people_acting_in_the_past() -> None:
    words, years = content_words(TITLE), frozenset()
    assert reports_event(SENTENCES[1], words, years) and reports_event(SENTENCES[2], words, years)
    assert not any(reports_event(SENTENCES[i], words, years) for i in (0, 3, 4, 5))


def test_the_most_retold_events_come_first_once_each() -> None:
    found = event_sentences(SENTENCES, WORDS, TITLE)
    assert set(found[:2]) == {1, 2} and found[2] == 9  # the two retold events before the one told once
    assert 7 not in found  # "Reyes said Holt was draining ..." is the charge again
    assert not {0, 3, 4, 5} & set(found)


def test_no_headline_no_events() -> None:
    assert event_sentences(SENTENCES, WORDS, "") == []
