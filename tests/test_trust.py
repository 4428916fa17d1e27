"""Trustworthy three things (issue 12): attribution kept, meaning verified, fewer false rejections, honest
labels and reasons -- on self-written articles only (tests/fixtures and benchmarks/data trap rows), so they
run in a fresh clone without ../shared."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import pytest

from summarizers.methods.attribution import attribute, attribution_of, attributions_of, has_attribution
from summarizers.methods.grounding import initialisms, unsupported_terms
from summarizers.methods.three_things import (
    content_words,
    overlapping_points,
    rewritable,
    three_things,
    verbatim,
)
from summarizers.methods.verify import check_point, meaning_issues
from summarizers.segment import split_sentences
from summarizers.types import ThreeThings

ROOT = Path(__file__).resolve().parents[1]
LABELLED = ROOT / "benchmarks" / "data" / "trust_points.jsonl"

HOTEL = (
    "Thousands of delegates are expected in the north-west next week for the party conference. "
    '"I just hope Manchester can handle the crowds," said Blackpool hotelier Tom Jones. '
    "The city council has hired 200 extra stewards for the four-day event. "
    "Alastair Campbell sent an e-mail to Newsnight by mistake on Tuesday. "
    "Washington no longer sees the special relationship with Britain as central, according to a secret "
    "briefing document. "
    "The rail union denied on Thursday that it was planning a national strike. "
    "Jurgen Klopp will leave Borussia Dortmund at the end of the season. "
    "Klopp announced he would end his seven-year stint at the club at a press conference on Wednesday."
)


class CannedModel:
    """Answers every prompt with a fixed text, like the model would."""

    name = "canned-test-model"
    kind = "chat"

    def __init__(self, answer: str) -> None:
        self.answer = answer

    def count_tokens(self, text: str) -> int:
        return len(text.split())

    def generate(
        self, prompts: Sequence[str], *, max_new_tokens: int, timeout_s: float | None = None,
        system: str | None = None, stop_when: object = None,
    ) -> list[str]:
        return [self.answer for _ in prompts]


def sentence(prefix: str) -> str:
    return next(s.text for s in split_sentences(HOTEL) if s.text.startswith(prefix))


# -- attribution -----------------------------------------------------------------------------------


def test_attribution_found_with_source_and_stance() -> None:
    att = attribution_of(sentence('"I just hope'))
    assert att is not None and att.source == "Blackpool hotelier Tom Jones" and att.stance == "hope"
    memo = attribution_of(sentence("Washington"))
    assert memo is not None and memo.source == "a secret briefing document"
    assert attribution_of(sentence("The city council")) is None


@pytest.mark.parametrize(("point", "attributed"), [
    ("The watchdog said member states are failing to report fraud.", True),
    ("Member states are failing to report fraud, according to the watchdog.", True),
    ("Officials hope the talks will resume.", True),
    ("A leaked memo questions the alliance.", True),
    ("The minister reportedly resigned.", True),
    ('"We will not back down on this," the union leader told members.', True),
    ("Member states are failing to report fraud and irregularities.", False),  # "report" reports nothing here
    ("Spain's state of health is good.", False),  # "state" is a noun, not "stated"
    ('The vote came at a time that was "fractured and uncertain" for the party.', False),  # a few quoted words
])
def test_a_point_keeps_an_attribution_only_with_a_cue_in_that_role(point: str, attributed: bool) -> None:
    assert has_attribution(point) is attributed


def test_a_source_claim_is_caught_when_the_point_only_shares_a_cue_word() -> None:
    source = "Member states are failing to report fraud in EU funds, the public spending watchdog has said."
    issues = meaning_issues("Member states are failing to report fraud in EU funds.", [source])
    assert [i.check for i in issues] == ["attribution"]


def test_first_person_words_without_a_speaker_are_someones_words() -> None:
    source = '"The casinos will follow British rules and we will not allow any tricks," the minister told the paper.'
    issues = meaning_issues("The casinos will follow British rules and we will not allow any tricks.", [source])
    assert "attribution" in {i.check for i in issues}
    assert meaning_issues('"We will not allow any tricks," the minister said.', [source]) == []
    assert meaning_issues("The minister said we will not allow any tricks.", [source]) == []


def test_a_month_and_a_year_from_two_facts_are_not_one_date() -> None:
    sources = ["He reached that milestone last June, when he overtook a rival who served between 1908 and 1915."]
    issues = meaning_issues("He became the longest serving chancellor in June 1908.", sources)
    assert "date" in {i.check for i in issues}
    kept = ["The chancellor delivered his ninth budget on 16 March 2005, in June 2004 he had warned of cuts."]
    assert "date" not in {i.check for i in meaning_issues("He warned of cuts in June 2004.", kept)}


def test_a_name_for_the_sources_he_is_the_person_named_just_before() -> None:
    filler = " ".join(["The hospital ward was quiet that night and the nurses kept their rounds."] * 6)
    article = (f"Mayor Tom Reyes opened the new bridge. {filler} Alan Lawrence learned that his son had Down "
               "syndrome. He said he once believed it would limit his family.")
    source = "He said he once believed it would limit his family."
    assert unsupported_terms("Lawrence said he once believed it would limit his family.", [source],
                             context=article) == []
    # Reyes is in the article, but far from this "he": a model swapping in the wrong person is still caught.
    assert unsupported_terms("Reyes said he once believed it would limit his family.", [source],
                             context=article) == ["Reyes"]


def test_the_speaker_of_a_quote_in_the_first_person_is_named_a_paragraph_before() -> None:
    filler = " ".join(["The campaign bus left the hotel early and the crowds were thin."] * 5)
    article = (f"Mayor Tom Reyes opened the new bridge. {filler} On this subject, Morris is evangelical. "
               "But what attracts him? \"I think the greatest threat to democracy is bureaucratism\".")
    source = "\"I think the greatest threat to democracy is bureaucratism\"."
    point = "Morris believes the greatest threat to democracy is bureaucratism."
    assert unsupported_terms(point, [source], context=article) == []
    assert unsupported_terms(point.replace("Morris", "Reyes"), [source], context=article) == ["Reyes"]
    # Only a quote's "I" reaches that far back: "I" outside quotation marks names no one before it.
    bare = "I think the greatest threat to democracy is bureaucratism."
    assert unsupported_terms(point, [bare], context=article.replace(source, bare)) == ["Morris"]


def test_a_person_a_source_calls_by_their_role_is_named_by_the_article() -> None:
    article = ("Hiding women away is a backward view, President Musharraf of Pakistan has said during a visit. "
               + " ".join(["He spoke to community leaders in Manchester about schools and jobs."] * 8)
               + " On Monday the Pakistani president met Prime Minister Tony Blair at 10 Downing Street.")
    source = "On Monday the Pakistani president met Prime Minister Tony Blair at 10 Downing Street."
    point = "Gen Musharraf met Prime Minister Tony Blair at 10 Downing Street."
    assert unsupported_terms(point, [source], context=article) == []
    # Only a role the source uses: a name the article gives no such title stays unsupported.
    assert unsupported_terms(point.replace("Musharraf", "Zardari"), [source], context=article) == ["Gen Zardari"]


def test_the_headline_counts_as_a_source_for_what_happened() -> None:
    source = "The prime minister spoke to the president by telephone on Wednesday morning."
    point = "Tony Blair congratulates George Bush on his win."
    assert "action" in {i.check for i in meaning_issues(point, [source])}
    assert meaning_issues(point, [source], title="Blair congratulates Bush on win") == []


def test_bare_claim_is_rewritten_with_its_source() -> None:
    att = attribution_of(sentence('"I just hope'))
    assert att is not None
    assert attribute("Manchester will handle the crowds.", att) == (
        "Blackpool hotelier Tom Jones hopes Manchester will handle the crowds."
    )
    memo = attribution_of(sentence("Washington"))
    assert memo is not None
    rewritten = attribute("Washington no longer sees the relationship as central.", memo)
    assert rewritten.startswith("According to a secret briefing document, Washington")
    assert has_attribution(rewritten) and not has_attribution("Manchester will handle the crowds.")


def test_three_things_rewrites_a_dropped_attribution_and_says_so() -> None:
    answer = "- Manchester will handle the crowds.\n- The council hired 200 extra stewards for the event.\n"
    result = three_things(HOTEL, model=CannedModel(answer))
    assert result.points[0].text == "Blackpool hotelier Tom Jones hopes Manchester will handle the crowds."
    assert [(c.check, c.action) for c in result.checks] == [("attribution", "rewritten")]
    assert result.model == "canned-test-model"
    assert result.as_dict()["checks"][0]["text"] == "Manchester will handle the crowds."


def test_a_rewrite_that_gives_back_its_source_sentence_is_labelled_extractive() -> None:
    text = ("Parliament met on Tuesday to debate the spring budget. Finance minister Rachel Adams said the budget "
            "would restore stability. Opposition leaders called the plan a gamble with public services.")
    result = three_things(text, model=CannedModel("- The budget would restore stability.\n"))
    point = result.points[0]
    assert point.text == "According to finance minister Rachel Adams, the budget would restore stability."
    assert point.method == "extractive"  # near-verbatim of its source: an honest label, not "abstractive"
    from summarizers.evaluation.trust import trust_stats

    assert trust_stats([result]).copies_labelled_abstractive == 0


# -- meaning ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("point", "prefix", "check"),
    [
        ("Campbell sent an e-mail to Newsnight.", "Alastair Campbell", "qualifier"),
        ("Newsnight sent an e-mail to Alastair Campbell.", "Alastair Campbell", "roles"),
        ("The rail union is planning a national strike.", "The rail union", "negation"),
        ("Jurgen Klopp left Borussia Dortmund at the end of the season.", "Jurgen Klopp", "tense"),
        ("The city council has fired 200 stewards.", "The city council", "action"),
    ],
)
def test_meaning_check_catches_distortions(point: str, prefix: str, check: str) -> None:
    assert check in {i.check for i in meaning_issues(point, [sentence(prefix)])}


@pytest.mark.parametrize(
    ("point", "prefix"),
    [
        ("Alastair Campbell mistakenly sent an e-mail to Newsnight on Tuesday.", "Alastair Campbell"),
        ("The rail union denied it was planning a national strike.", "The rail union"),
        ("The city council hired 200 extra stewards for the four-day event.", "The city council"),
    ],
)
def test_meaning_check_keeps_faithful_points(point: str, prefix: str) -> None:
    assert check_point(point, [sentence(prefix)], article=HOTEL) == []


def test_a_role_swap_through_a_relative_clause_is_caught() -> None:
    """"X has been named as the man who will present Y ..." : the presenter is X, not the relative "who"."""
    source = "Former striker Tom Reed has been named as the man who will present Ann Cole with her tenth title."
    assert "roles" in {i.check for i in meaning_issues("Ann Cole will present Tom Reed with her tenth title.", [source])}
    assert meaning_issues("Tom Reed will present Ann Cole with her tenth title.", [source]) == []


def test_a_parenthetical_attribution_keeps_the_claim_theirs() -> None:
    source = ("This is the man who, some pundits believe, was almost single-handedly responsible for Bill "
              "Clinton's 1992 comeback victory.")
    found = attribution_of(source)
    assert found is not None and found.source == "some pundits" and found.stance == "believe"
    point = "Dick Morris is the man responsible for Bill Clinton's 1992 comeback victory."
    assert "attribution" in {i.check for i in meaning_issues(point, [source])}
    deal = attribution_of("The deal, officials said, will be signed next week.")
    assert deal is not None and deal.source == "officials"


def test_the_one_acted_upon_made_the_actor_is_caught() -> None:
    """"He accused Mr Blair's government": whoever "he" is, he is not Mr Blair."""
    source = "He accused Mr Blair's government of 'being less than straightforward' over its plans."
    wrong = "Tony Blair accused Mr Blair's government of 'being less than straightforward' over its plans."
    assert "roles" in {i.check for i in meaning_issues(wrong, [source])}
    right = "Charles Kennedy accused Mr Blair's government of 'being less than straightforward' over its plans."
    assert "roles" not in {i.check for i in meaning_issues(right, [source])}


def test_comments_a_point_names_keep_the_claim_attributed() -> None:
    assert has_attribution("Mike Nattrass made comments suggesting Germany saw the EU as an empire.")
    assert not has_attribution("Germany saw the EU as an empire.")


def test_another_member_of_the_family_put_for_the_one_the_source_names_is_caught() -> None:
    source = "Louis Jordan, 37, had not been heard from in 66 days when he was spotted by a passing ship."
    issues = meaning_issues("Frank Jordan was rescued after 66 days at sea.", [source])
    assert "roles" in {i.check for i in issues}
    assert "roles" not in {i.check for i in meaning_issues("Louis Jordan was spotted after 66 days at sea.", [source])}
    # A title is no given name, and a name split by a hyphen ("Anti-Terrorism Bill") is no person.
    assert "roles" not in {i.check for i in meaning_issues("Mr Jordan was spotted after 66 days.", [source])}
    bill = "The Tories wanted a sunset clause in the Anti-Terrorism Bill."
    assert "roles" not in {i.check for i in meaning_issues(bill, ["The Tories want a clause in the Terrorism Bill."])}


def test_a_projection_told_as_done_is_caught_and_an_irregular_verb_is_its_sources() -> None:
    source = "Council tax in Scotland is set to rise by an average of about 4% in the coming year."
    assert "qualifier" in {i.check for i in meaning_issues("Council tax rises by 4% in Scotland.", [source])}
    sought = "Deals are being sought to allow the UK to deport terror suspects."
    assert "action" not in {i.check for i in meaning_issues("The UK is seeking to deport terror suspects.", [sought])}


@pytest.mark.parametrize("point", [
    "Tony Blair arrived within seconds of each other at the start of the meeting.",
    "The committee's inquiry into climate change in Scotland is part of the committee's inquiry into climate change.",
])
def test_a_garbled_point_is_caught(point: str) -> None:
    source = ("The prime minister and his chancellor arrived within seconds of each other at the start of the "
              "meeting, and the committee's inquiry into climate change in Scotland heard the evidence.")
    assert "garbled" in {i.check for i in meaning_issues(point, [source])}
    fine = "Tony Blair and Gordon Brown arrived within seconds of each other at the start of the meeting."
    assert "garbled" not in {i.check for i in meaning_issues(fine, [source])}
    couple = "The couple arrived within seconds of each other at the start of the meeting."  # one noun, two people
    assert "garbled" not in {i.check for i in meaning_issues(couple, [source])}


def test_a_report_or_an_announcement_a_point_tells_about_is_not_its_source() -> None:
    """"The report was completed before new initiatives were announced" is Prescott's defence: neither
    the report (what it is about) nor "were announced" (a passive with no claim) attributes it."""
    source = "Deputy Prime Minister John Prescott said the report was completed before new initiatives were announced."
    point = "The report was completed before new initiatives were announced."
    assert not has_attribution(point)
    assert "attribution" in {i.check for i in meaning_issues(point, [source])}
    assert has_attribution("A leaked report found the scheme had failed.")
    assert has_attribution("He is said to have resigned.")
    assert has_attribution("He is switching from his previous pledge to raise taxes to a levy on high earners.")


def test_a_quotation_whose_speaker_came_before_is_not_a_fact_and_that_said_is_no_speaker() -> None:
    source = "\"The world's poorest children are paying for rich countries' policies with their lives."
    point = "The world's poorest children are paying for rich countries' policies with their lives."
    assert "attribution" in {i.check for i in meaning_issues(point, [source])}
    assert "attribution" not in {i.check for i in meaning_issues(f"Oxfam said: {source}\"", [source])}
    turn = "That said, Ferrari are stronger over a long run and may yet threaten Hamilton."
    assert attribution_of(turn) is None
    assert meaning_issues("Ferrari are stronger over a long run and may yet threaten Hamilton.", [turn]) == []


def test_a_point_about_the_article_is_no_thing_to_know_and_seems_certain_is_a_hedge() -> None:
    source = "Ministers plan to give elderly people control over their own budget for personal care."
    issues = meaning_issues("The article discusses plans to give elderly people control over their care budget.",
                            [source])
    assert "meta" in {i.check for i in issues}
    assert "meta" not in {i.check for i in meaning_issues("The story began in May.", ["The story began in May."])}
    seems = "Tony Blair seems certain to announce a general election on 5 May."
    assert "qualifier" in {i.check for i in meaning_issues("Tony Blair is certain to announce a general election on 5 May.",
                                                           [seems])}


def test_as_the_leader_declared_attributes_and_those_who_wanted_does_not() -> None:
    source = ("As the Tory leader declared, the aim of the exercise is to open up a real economic policy divide "
              "between Labour and the Tories.")
    point = "The aim of the exercise is to open up a real economic policy divide between Labour and the Tories."
    assert "attribution" in {i.check for i in meaning_issues(point, [source])}
    assert not has_attribution("Places should be there for those who wanted them.")


def test_a_verb_the_source_also_says_plainly_keeps_no_hedge() -> None:
    source = ("Odds on the second royal baby being called Sam have been slashed, and the baby could be called "
              "Sam after the jockey.")
    assert "qualifier" not in {i.check for i in meaning_issues(
        "Odds on the second royal baby being called Sam have been slashed.", [source])}
    assert "qualifier" in {i.check for i in meaning_issues(
        "The baby will be called Sam.", ["The baby could be called Sam after the jockey."])}


def test_a_person_made_their_own_relative_is_caught() -> None:
    source = "Mr Begg's father, Azmat, said he had been told he could see his son for 20 minutes."
    garbled = "Azmat Begg, Azmat Begg's father, Azmat, said he had been told he could see his son for 20 minutes."
    assert "roles" in {i.check for i in meaning_issues(garbled, [source])}
    assert meaning_issues("Mr Begg's father, Azmat, said he could see his son for 20 minutes.", [source]) == []
    # Relatives share a family name: only the same given name makes someone their own father.
    kin = "Mary Smith's father, John Smith, said she had been told she could leave."
    assert "roles" not in {i.check for i in meaning_issues(kin, [kin])}


@pytest.mark.parametrize("source", ["The ministry declined to comment on the letter.",
                                    "The ministry refused to confirm the letter.",
                                    "The ministry would not comment on the letter."])
def test_a_no_comment_turned_into_a_confirmation_is_caught(source: str) -> None:
    issues = meaning_issues("The ministry confirmed the letter.", [source])
    assert "negation" in {i.check for i in issues}


def test_a_no_comment_or_a_confirmation_the_source_makes_is_kept() -> None:
    source = "The ministry declined to comment on the letter."
    assert meaning_issues("The ministry declined to comment on the leaked letter.", [source]) == []
    assert meaning_issues("The ministry confirmed the letter.", ["The ministry said the letter was genuine."]) == []
    refusal = "Still, Reid would not say whether he would prefer that Democrats face Trump or Cruz."
    assert "negation" not in {i.check for i in meaning_issues(
        "Reid said he would not say whether he would prefer that Democrats face Trump or Cruz.", [refusal])}


# -- fewer false rejections ------------------------------------------------------------------------


def test_alias_abbreviation_and_title_are_supported() -> None:
    klopp = sentence("Klopp announced")
    assert unsupported_terms("Jurgen Klopp announced he would end his stint at Borussia Dortmund.", [klopp],
                             context=HOTEL, title="Klopp to leave Dortmund") == []
    assert unsupported_terms("Jurgen Klopp will quit.", [klopp]) == ["Jurgen Klopp"]  # no article: no alias
    assert unsupported_terms("The mayor of New York City unveiled a plan.", ["The mayor of NYC unveiled a plan."]) == []
    assert unsupported_terms("The NYC mayor unveiled a plan.", ["The mayor of New York City unveiled a plan."]) == []
    assert "nyc" in initialisms("The mayor of New York City said")
    assert unsupported_terms("Labour will cut fees.", ["The party will cut fees."], title="Labour pledge") == []
    assert unsupported_terms("Labour will cut fees.", ["The party will cut fees."]) == ["Labour"]


def test_repeats_are_judged_by_more_than_two_shared_words() -> None:
    first = content_words("The mayor unveiled a plan to build homes that will be paid for by a bond.")
    assert not overlapping_points(first, content_words("Plans will be paid for by taxpayers."))
    assert overlapping_points(first, content_words("The mayor's plan to build homes will be paid for by a bond."))


# -- honest labels and reasons ---------------------------------------------------------------------


def test_copied_point_is_labelled_extractive() -> None:
    copy = "The city council has hired 200 extra stewards for the four-day event."
    result = three_things(HOTEL, model=CannedModel(f"- {copy}\n"))
    assert result.points[0].text == copy and result.points[0].method == "extractive"
    assert result.model is None and result.fallback == "copied"
    assert verbatim(copy, split_sentences(HOTEL))


def test_every_point_rejected_says_why() -> None:
    answer = "- Newsnight sent an e-mail to Alastair Campbell.\n- Obama joined the rail union strike in Paris.\n"
    result = three_things(HOTEL, model=CannedModel(answer))
    assert all(p.method == "extractive" for p in result.points)
    assert result.fallback == "rejected"
    data = result.as_dict()
    assert data["fallback"] == "rejected"
    assert {c["check"] for c in data["checks"]} >= {"roles", "grounding"}  # type: ignore[union-attr]
    assert ThreeThings.from_dict(json.loads(json.dumps(data))) == result


# -- the labelled set ------------------------------------------------------------------------------


def test_labelled_set_is_well_formed_and_holds_no_publisher_text() -> None:
    rows = [json.loads(line) for line in LABELLED.read_text(encoding="utf-8").splitlines() if line.strip()]
    points = [r for r in rows if r["kind"] == "point"]
    articles = {r["id"] for r in rows if r["kind"] == "article"}
    assert len(points) >= 40
    assert {p["label"] for p in points} == {"faithful", "distorted", "unsupported"}
    for p in points:
        assert p["reason"] and p["sources"]
        assert p["article"] in articles or p["article"].split(":")[0] in {
            "cnndm_dev", "bbc_politics_dev", "polnear_attributions_dev"}
        assert "text" not in p


def test_checks_on_the_trap_articles() -> None:
    """Precision and recall of the checks on the self-written trap articles (issue 12 target: no
    distorted or unsupported point gets through; few faithful ones are flagged)."""
    rows = [json.loads(line) for line in LABELLED.read_text(encoding="utf-8").splitlines() if line.strip()]
    articles = {r["id"]: r for r in rows if r["kind"] == "article"}
    tp = fp = fn = 0
    for p in (r for r in rows if r["kind"] == "point" and r["article"] in articles):
        article = articles[p["article"]]
        sources = [article["text"][s:e] for s, e in p["sources"]]
        flagged = bool(check_point(p["point"], sources, article=article["text"], title=article["title"]))
        bad = p["label"] != "faithful"
        tp += flagged and bad
        fp += flagged and not bad
        fn += bad and not flagged
    assert tp / (tp + fn) >= 0.9
    assert tp / (tp + fp) >= 0.9


def test_trust_figures_count_rejections_rewrites_and_copies() -> None:
    from summarizers.evaluation.trust import format_trust, trust_stats

    rewritten = three_things(HOTEL, model=CannedModel("- Manchester will handle the crowds.\n"))
    rejected = three_things(HOTEL, model=CannedModel("- Newsnight sent an e-mail to Alastair Campbell.\n"))
    stats = trust_stats([rewritten, rejected])
    assert stats.rewritten == 1 and stats.rejected["roles"] == 1 and stats.fallbacks["rejected"] == 1
    assert stats.attribution_dropped == 0 and stats.copies_labelled_abstractive == 0
    assert "copies labelled abstractive: 0" in format_trust(stats)


def test_reported_future_is_rewritten_not_rejected() -> None:
    text = "Finance chief Anna Berg said the new bridge would cost £2bn. Work starts in May."
    result = three_things(text, model=CannedModel("- The new bridge will cost £2bn.\n"))
    assert result.points[0].text == "According to finance chief Anna Berg, the new bridge will cost £2bn."
    assert [c.action for c in result.checks] == ["rewritten"]


def test_a_headline_fragment_is_no_point() -> None:
    issues = check_point("Mr Campbell's e-mail to Newsnight", [sentence("Alastair Campbell")], article=HOTEL)
    assert [i.check for i in issues] == ["fragment"]


def test_a_passive_accusation_names_no_speaker_and_a_copy_of_it_keeps_the_claim() -> None:
    source = "The minister has been accused of hiding the cost of the new scheme."
    assert attribution_of(source) is not None and attribution_of(source).source == "someone"
    assert attribution_of("The minister was accused by the Tories of hiding the cost.").source == "the Tories"
    assert meaning_issues(source, [source]) == []
    assert "attribution" in {i.check for i in meaning_issues("The minister hid the cost of the new scheme.", [source])}


def test_a_mark_that_closes_the_paragraph_above_opens_no_quotation() -> None:
    point = "The young striker has played football since he could walk."
    assert "attribution" not in {i.check for i in meaning_issues(point, ["\"\n" + point])}
    assert "attribution" in {i.check for i in meaning_issues(point, ["\"" + point])}


def test_a_short_point_the_tagger_misreads_is_a_sentence_when_its_source_has_the_verb() -> None:
    source = "The former chat show host Robert Kilroy-Silk has quit UKIP, accusing it of betrayal."
    assert "fragment" not in {i.check for i in check_point("Robert Kilroy-Silk quit UKIP.", [source])}


def test_one_persons_words_given_to_another_are_caught() -> None:
    source = ("Later, former astronaut John Grunsfeld said it is only a matter of time before life is found "
              "on another world.")
    swapped = "Ellen Stofan said it is only a matter of time before life is found on another world."
    assert "roles" in {i.check for i in meaning_issues(swapped, [source])}
    same = "Mr Grunsfeld said it is only a matter of time before life is found on another world."
    assert "roles" not in {i.check for i in meaning_issues(same, [source])}


def test_a_pronoun_changed_in_a_copy_is_caught() -> None:
    source = "The manager urged his players to stand firm as he labelled the derby the club's biggest game in years."
    assert "roles" in {i.check for i in meaning_issues(source.replace("as he", "as they"), [source])}
    assert meaning_issues(source, [source]) == []


def test_a_quotation_run_on_into_the_narration_after_it_is_caught() -> None:
    sources = ['The minister said: "I dealt with this months ago.',
               'The book, written by a Sunday newspaper journalist and serialised this week, said the pair had '
               '"deep mutual contempt" for each other.']
    run_on = ('"I dealt with this months ago. The book, written by a Sunday newspaper journalist and serialised '
              'this week, said the pair had "deep mutual contempt" for each other."')
    assert "attribution" in {i.check for i in meaning_issues(run_on, sources)}
    kept = 'The book said the pair had "deep mutual contempt" for each other.'
    assert "attribution" not in {i.check for i in meaning_issues(kept, sources[1:])}


def test_the_action_check_knows_a_sub_editors_swaps_and_no_more() -> None:
    source = "The home secretary quit in December after an inquiry into his conduct."
    assert "action" not in {i.check for i in meaning_issues("The home secretary resigned in December.", [source])}
    assert "action" in {i.check for i in meaning_issues("The home secretary was arrested in December.", [source])}


def test_a_claim_a_source_attributes_at_the_end_keeps_its_source_even_with_a_verb_inside() -> None:
    source = "The premier promised his deputy he would step down before the vote, a new biography of the deputy claims."
    assert attribution_of(source).cue_lemma == "claim"
    dropped = "The premier promised his deputy he would step down before the vote."
    assert "attribution" in {i.check for i in meaning_issues(dropped, [source])}
    hotel = 'Hotel owner Tom Jones said: "I just hope the city can handle the crowds."'
    assert "attribution" not in {i.check for i in meaning_issues("Tom Jones hopes the city can handle the crowds.",
                                                                 [hotel])}


def test_a_stance_verb_beside_a_quotation_is_no_speech() -> None:
    source = 'Those five words make listeners think of the singer\'s pop masterpiece "Harbour Lights."'
    assert attribution_of(source) is None


def test_not_one_thing_but_another_affirms_the_other() -> None:
    source = "What makes the song unusual is that it isn't a relic of its decade but a talisman for listeners."
    assert "negation" not in {i.check for i in meaning_issues("It is a talisman for listeners.", [source])}
    assert "negation" in {i.check for i in meaning_issues("It is a relic of its decade.", [source])}


def test_the_family_member_the_headline_names_is_no_other_relative() -> None:
    source = "Freberg died in hospital, his son and daughter, Donavan and Donna Freberg, confirmed."
    point = "Stan Freberg died in hospital."
    assert "roles" in {i.check for i in meaning_issues(point, [source])}
    assert "roles" not in {i.check for i in meaning_issues(point, [source], title="Satirist Stan Freberg dies")}


def test_a_rank_no_source_gives_and_an_effect_told_as_a_purpose_are_caught() -> None:
    wears = "The model wears a simple silver septum ring on the red carpet."
    assert "grounding" in {i.check for i in meaning_issues("The model is the first to wear a septum ring.", [wears])}
    degree = "He was charged with first-degree murder on Monday."
    assert meaning_issues("He was charged with first-degree murder.", [degree]) == []
    song = "By writing the song, the singer has guaranteed that the memory of those musicians lives forever."
    assert "roles" in {i.check for i in meaning_issues("The song was written to guarantee the memory of those "
                                                       "musicians.", [song])}
    known = "The satirist, whose comic records won worldwide acclaim, has died."
    assert "action" not in {i.check for i in meaning_issues("He was known for his comic records.", [known])}


def test_the_writers_own_first_person_is_no_one_elses_words() -> None:
    sketch = 'The slogan "Forward together" is to become as much a part of our daily lives as the weather.'
    assert meaning_issues(sketch, [sketch]) == []
    quoted = 'The minister said: "We will simply not allow any tricks in our elections."'
    assert "attribution" in {i.check for i in meaning_issues("We will simply not allow any tricks in our elections.",
                                                             [quoted])}


def test_each_claim_of_a_run_on_sentence_keeps_its_source() -> None:
    source = ("The Tories believe the premier is playing the fear card before the election And they believe "
              "the premier is using the issue to paint the opposition as soft on crime.")
    point = "The premier is using the issue to paint the opposition as soft on crime."
    assert "attribution" in {i.check for i in meaning_issues(point, [source])}


def test_a_copy_that_keeps_an_unnamed_cue_keeps_the_attribution() -> None:
    source = "Mr Howard is expected to tell activists in Kent that voters' goodwill is being abused."
    assert "attribution" not in {i.check for i in meaning_issues(source, [source])}
    assert "attribution" in {i.check for i in meaning_issues(
        "Mr Howard will tell activists in Kent that voters' goodwill is being abused.", [source])}


def test_the_headline_copied_is_no_fragment() -> None:
    lead = "Ministers have launched a crackdown on hardcore truants in England's schools."
    title = "Labour targets 'hardcore truants'"
    assert "fragment" not in {i.check for i in check_point(title, [lead], title=title)}
    assert "fragment" in {i.check for i in check_point("Crackdown on hardcore truants", [lead])}


def test_the_doer_aimed_at_someone_the_source_names_in_another_role_is_caught() -> None:
    source = ("The chancellor has criticised a union leader who said conflict between himself and the premier "
              "Tony Blair was harming the government.")
    wrong = "The chancellor has criticised Tony Blair for harming the government."
    assert "roles" in {i.check for i in meaning_issues(wrong, [source])}
    assert "roles" not in {i.check for i in meaning_issues("The chancellor has criticised a union leader.",
                                                           [source])}


def test_a_point_restating_the_headline_needs_no_speaker_unless_the_headline_quotes_one() -> None:
    source = "A Conservative government would cap immigration every year, Michael Howard has said."
    point = "A Conservative government would cap immigration every year."
    assert "attribution" in {i.check for i in meaning_issues(point, [source])}
    assert "attribution" not in {i.check for i in meaning_issues(
        point, [source], title="Conservative government would cap immigration every year")}
    quoted = "Business leaders said UK firms were embracing e-commerce, according to a survey."
    assert "attribution" in {i.check for i in meaning_issues(
        "UK firms are embracing e-commerce.", [quoted], title="UK firms 'embracing e-commerce'")}


def test_a_statement_before_a_semicolon_or_colon_is_no_ones_claim() -> None:
    headline = "Lawmaker urges retaliation on Russia; Member of House panel says U.S. has to keep Moscow out."
    assert [headline[a.content_start:a.content_end] for a in attributions_of(headline)] == [
        "U.S. has to keep Moscow out"]
    lead = ("Millennials have reached a broad consensus on an issue that divides the nation: by nearly 2-1, "
            "they say transgender people should be able to use the bathrooms they choose.")
    assert "attribution" not in {i.check for i in meaning_issues(
        "Millennials have reached a broad consensus on an issue that divides the nation.", [lead])}
    said = "The minister said: the plan will be dropped."
    assert [said[a.content_start:a.content_end] for a in attributions_of(said)] == ["the plan will be dropped"]


def test_a_charge_hung_on_the_accused_is_the_claim_not_the_whole_sentence() -> None:
    source = ("A power struggle has erupted at the committee, days before a party gathering in Florida, as its "
              "chairman has accused his own party leadership of a “major breach of trust” over a rule change.")
    assert "attribution" not in {i.check for i in meaning_issues(
        "The power struggle comes days before a party gathering in Florida.", [source])}


def test_a_guess_under_as_if_keeps_its_hedge_and_a_copied_is_to_is_none() -> None:
    source = "It would seem as if his current plan is to compete long enough to keep Trump from a majority."
    assert "qualifier" in {i.check for i in meaning_issues(
        "Rubio's strategy is to compete long enough to keep Trump from a majority.", [source])}
    assert "qualifier" not in {i.check for i in meaning_issues(
        "Rubio's strategy seems to be to compete long enough to keep Trump from a majority.", [source])}


def test_passed_away_is_died_and_a_role_the_article_never_gives_is_caught() -> None:
    notice = "SIEGEL--Jerome Arthur, 98, of Mamaroneck, passed away Friday in La Romana, Dominican Republic."
    assert check_point("Jerome Siegel, 98, died in the Dominican Republic.", [notice], article=notice) == []
    source = "There is serious concern about voter fraud, Donald Trump's longtime confidant Roger Stone stated."
    wrong = "Roger Stone, a former Trump advisor, said there is serious concern about voter fraud."
    assert {i.check for i in check_point(wrong, [source], article=source)} == {"grounding"}
    kept = "Roger Stone, a longtime Trump confidant, said there is serious concern about voter fraud."
    assert "grounding" not in {i.check for i in check_point(kept, [source], article=source)}


def test_a_typographic_apostrophe_keeps_its_negation_and_a_copy_keeps_its_tenses() -> None:
    source = ("Trump went to that debate, and he’ll probably go to the next one, because they would mock him if "
              "he didn’t.")
    assert meaning_issues(source.replace("’", "'"), [source]) == []
    assert "negation" in {i.check for i in meaning_issues(
        "Trump went to that debate, and he will probably go to the next one.", ["Trump didn’t go to that debate."])}


def test_the_last_sentence_of_a_quotation_is_someones_words() -> None:
    source = "Thiel’s role as an official speaker at the convention continues to bolster that assertion.”"
    point = "Thiel's role as an official speaker at the convention continues to bolster that assertion."
    assert "attribution" in {i.check for i in meaning_issues(point, [source])}
    assert "attribution" not in {i.check for i in meaning_issues(point, [source.rstrip("”")])}


def test_a_thing_the_source_hedges_keeps_its_hedge() -> None:
    source = "A clip of Donald Trump is featured in a purported new recruitment video released by Al-Shabaab."
    assert "qualifier" in {i.check for i in meaning_issues("Al-Shabaab featured Donald Trump in a video.", [source])}
    assert "qualifier" not in {i.check for i in meaning_issues(
        "Donald Trump featured in a purported new recruitment video released by Al-Shabaab.", [source])}


def test_a_point_from_a_letters_page_is_a_readers_view() -> None:
    page = ("Michelle Obama made America pay attention.\n\nLETTERS.\n\nThe first lady spoke from the bottom of her "
            "heart at the convention.\n\nAtul M. Karnik.\n\nWoodside, N.Y.")
    source = "The first lady spoke from the bottom of her heart at the convention."
    point = "She spoke from the bottom of her heart."
    issues = check_point(point, [source], article=page, title="Michelle Obama made America pay attention")
    assert [i.check for i in issues] == ["attribution"]
    assert rewritable(issues) is not None
    assert check_point(point, [source], article=page.replace("LETTERS.\n\n", "")) == []
    assert check_point("Michelle Obama made America pay attention.", [source], article=page,
                       title="Michelle Obama made America pay attention") == []


def test_a_he_several_sentences_after_the_name_is_resolved_as_quote_speakers_are() -> None:
    article = ("Home Secretary David Blunkett said on Friday that about 440 Britons were dead or missing. "
               "Prime Minister Tony Blair told the programme the aid budget for the region was safe. "
               "He said the £50 million allocated by the department was now being spent on the relief effort. "
               "But the exact allocation could not be clarified until the World Bank had completed its "
               "assessment of the needs of the countries affected by the disaster. "
               "Within the next few weeks a clearer picture would emerge of the long-term costs, he added. "
               "But he pledged that Africa would not be neglected.")
    source = "But he pledged that Africa would not be neglected."
    assert unsupported_terms("Mr Blair pledged that Africa would not be neglected.", [source], context=article) == []
    # Blunkett is named in the article too, but no "he" of this source is his.
    assert unsupported_terms("Mr Blunkett pledged that Africa would not be neglected.", [source],
                             context=article) == ["Blunkett"]


def test_what_a_poll_showed_is_its_finding_not_an_action_and_reported_would_is_no_hedge() -> None:
    source = "Fewer than half of the voters surveyed in a new poll released Monday support Senator Jane Doe."
    assert "action" not in {i.check for i in meaning_issues(
        "The poll showed that fewer than half of the voters surveyed support Senator Jane Doe.", [source])}
    assert "action" in {i.check for i in meaning_issues(
        "The senator showed that fewer than half of the voters surveyed support her.", [source])}
    reported = "The government would go ahead with the changes to licensing hours, she added."
    assert "qualifier" not in {i.check for i in meaning_issues(
        "The government will go ahead with the changes to licensing hours.", [reported])}
    plain = "The government would go ahead with the changes to licensing hours."
    assert "qualifier" in {i.check for i in meaning_issues(
        "The government will go ahead with the changes to licensing hours.", [plain])}


def test_a_digest_items_place_is_named_just_before_its_source_and_another_items_is_not() -> None:
    page = ("IN BRIEF.\n\nSpain struggles to form a government.\n\nSpain braced for weeks of uncertainty on Monday "
            "after voters elected a fragmented parliament.\n\nThe ruling conservative party took the most seats in "
            "Sunday's election but fell short of a majority.\n\nDriver identified in crash.\n\nA woman drove onto a "
            "packed sidewalk along the Las Vegas Strip, police said.")
    source = "The ruling conservative party took the most seats in Sunday's election but fell short of a majority."
    assert unsupported_terms("Spain's ruling conservative party took the most seats in Sunday's election.",
                             [source], context=page) == []
    crash = "A woman drove onto a packed sidewalk along the Las Vegas Strip, police said."
    assert unsupported_terms("A woman in Spain drove onto a packed sidewalk, police said.", [crash],
                             context=page) == ["Spain"]


def test_a_name_swapped_in_a_copy_is_caught_and_a_sentence_opening_word_is_no_given_name() -> None:
    source = "(Snowden lives in Russia, where he was granted temporary asylum following his disclosures."
    swapped = "Julian Assange lives in Russia, where he was granted temporary asylum following his disclosures."
    assert "roles" in {i.check for i in meaning_issues(swapped, [source])}
    assert "roles" not in {i.check for i in meaning_issues(
        "Edward Snowden lives in Russia, where he was granted temporary asylum following his disclosures.", [source])}
    opening = "Although Assange was not charged, he has accused the former secretary of state of pushing to indict him."
    assert meaning_issues("Julian Assange was not charged, but he has accused the former secretary of state of "
                          "pushing to indict him.", [opening]) == []


def test_an_ordinal_rank_no_source_gives_is_caught_and_lashed_out_is_attacked() -> None:
    sources = ["Best thing that happened to Republicans.", "A party ally suggested the candidate would back the deal."]
    assert "grounding" in {i.check for i in meaning_issues(
        "The second best thing that happened to Republicans was a party ally suggested the candidate would back "
        "the deal.", sources)}
    lead = "The leading candidates lashed out at the president and his would-be successor in a debate."
    assert "action" not in {i.check for i in meaning_issues(
        "The leading candidates attacked the president and his would-be successor in a debate.", [lead])}


def test_a_condition_dropped_is_caught_and_a_comparisons_as_attributes_nothing() -> None:
    source = ("The paper reported on Monday that if the senator wins his home state, the nominee will almost "
              "certainly be decided at the convention.")
    dropped = "The paper reported on Monday that the senator wins his home state and the nominee will be decided."
    assert "qualifier" in {i.check for i in meaning_issues(dropped, [source])}
    kept = "The paper reported that if the senator wins his home state, the nominee will almost certainly be decided."
    assert "qualifier" not in {i.check for i in meaning_issues(kept, [source])}
    comparison = ("The gains were held back by news from the central bank, which did not announce as much stimulus "
                  "as many had hoped.")
    assert attribution_of(comparison) is None
    assert attribution_of("As the party leader declared, the tax will rise.") is not None


def test_a_headline_verb_the_tagger_misreads_is_a_sentence_and_wire_quote_marks_close_a_quotation() -> None:
    lead = "The senator has waded into the Brexit debate, backing the advice that Britain should remain."
    assert "fragment" not in {i.check for i in check_point("Clinton Wades into the Brexit debate.", [lead])}
    noun = "The governor has reinstated the accounts on Monday."
    assert "fragment" in {i.check for i in check_point("The governor's reinstatement of the accounts.", [noun])}
    quote = "No wall is going to fix that.''"
    assert "attribution" in {i.check for i in meaning_issues("No wall is going to fix that.", [quote])}
    title = "Congresswoman slams rival, praises party leader"
    assert "action" not in {i.check for i in meaning_issues("The congresswoman criticized her rival.", [title])}


def test_a_doer_added_to_a_passive_and_a_dropped_helped_are_caught() -> None:
    source = ("Betsy Ebeling, the candidate's friend since sixth grade, has been held up throughout the campaign as "
              "living proof that the candidate is honest.")
    added = "The senator has been holding up Ebeling throughout the campaign as living proof that the candidate is honest."
    assert "roles" in {i.check for i in meaning_issues(added, [source])}
    by = "Pensioners are being promised energy savings by the Liberal Democrats, as cold weather continues."
    assert "roles" not in {i.check for i in meaning_issues(
        "The Liberal Democrats are promising energy savings for pensioners.", [by])}
    helped = "Her campaigns galvanized conservatives for two generations and helped reshape American politics."
    assert "qualifier" in {i.check for i in meaning_issues(
        "Her campaigns galvanized conservatives for two generations and reshaped American politics.", [helped])}
    district = "She won the primary for the state's one and only congressional district."
    assert unsupported_terms("She won the primary to run for Congress.", [district]) == []


def test_going_into_is_no_future_without_prep_negates_nothing_and_each_sentence_keeps_its_source() -> None:
    source = 'The union chief said her organization is going into "hyperdrive" to stand up against the candidate.'
    assert meaning_issues(source, [source]) == []
    quietly = "The FBI will coordinate with the campaign to ensure the meeting takes place privately, without the media aware."
    assert "negation" not in {i.check for i in meaning_issues(
        "The FBI will coordinate with the campaign to ensure the meeting takes place privately.", [quietly])}
    reported = "According to the Post, campaign officials looked into what the consequences would be."
    debate = 'The governor went after the businessman at the debate, when he called him "unhinged."'
    two = ("Campaign officials looked into what the consequences would be. The governor went after the businessman "
           'at the debate, when he called him "unhinged."')
    assert "attribution" in {i.check for i in check_point(two, [reported, debate])}


def test_a_quotation_told_as_fact_is_given_back_its_speaker_when_the_article_names_one() -> None:
    article = ('Aid agencies met in London on Monday. Oxfam director Barbara Stocking said: "The poorest children '
               'pay for the policies of rich countries. They are paying for those policies with their lives."')
    source = 'They are paying for those policies with their lives."'
    issues = check_point("The poorest children are paying for those policies with their lives.", [source],
                         article=article)
    found = rewritable(issues)
    assert found is not None and "Stocking" in found.source
    assert rewritable(check_point("The poorest children are paying for those policies with their lives.",
                                  [source])) is None  # no article: no one to give it back to


def test_a_question_told_as_an_answer_is_caught_and_to_help_is_a_purpose_not_a_hedge() -> None:
    source = ("The host also asked the candidate if her rival benefits from a kind of double standard, seeing as "
              "attacks on his business have bounced off him.")
    assert "roles" in {i.check for i in meaning_issues(
        "The candidate said her rival benefits from a kind of double standard.", [source])}
    assert "roles" not in {i.check for i in meaning_issues(
        "The host asked if her rival benefits from a kind of double standard.", [source])}
    breakfasts = "The group has sponsored two breakfasts to help win over the party faithful."
    assert "qualifier" not in {i.check for i in meaning_issues(
        "The group sponsored breakfasts to win over the party faithful.", [breakfasts])}
