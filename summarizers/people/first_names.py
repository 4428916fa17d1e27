"""A small list of common English-language given names and the gender they usually signal.

Why: the quote extractor resolves "she said" to the nearest person whose gender fits, and the text
itself often gives no gender evidence for a person ("Donald Trump" with no "Mr." and no "he" bound to
him), so a "she" would land on him. A given name is a weak, prior signal that the text's own evidence
(honorifics, role nouns, pronouns) overrides. The list also tells the people finder that a two-word
name the small NER model tags as an organisation or leaves untagged ("Carly Fiorina") is a person.

Names that are common for both genders (Jordan, Taylor, Kelly, Leslie, Dana, Pat, Chris, Jamie, ...)
are left out on purpose: a wrong prior is worse than none.
"""

from __future__ import annotations

MALE = frozenset(
    """aaron adam adrian al alan albert alex alexander alfred andrew andy anthony antonio arthur barack
    barney barry ben benjamin bernie bernard bill billy bob bobby brad bradley brandon brendan brett
    brian bruce bryan carl carlos charles charlie chad chuck clarence colin craig curt curtis dan
    daniel danny darrell dave david dennis derek dick don donald doug douglas duncan dwight earl ed
    eddie edward eli elijah elliot elon eric ernest eugene evan frank franklin fred frederick gary
    gavin gene george gerald glenn gordon greg gregory hank harold harry harvey henry herman howard
    hugh ian isaac jack jacob jake james jared jason jeb jeff jeffrey jerry jim jimmy joe joel john
    johnny jon jonathan joseph josh joshua juan justin karl keith ken kenneth kevin kurt larry
    lawrence leon lloyd louis luis luke marco mark martin matt matthew max michael mike mitch mitt
    nathan neil newt nicholas nick noah norman oliver omar oscar patrick paul pete peter phil philip
    ralph randy ray raymond reince richard rick ricky rob robert roger ron ronald ross roy rudy
    russell ryan sam samuel scott sean sergei seth steve steven stuart ted thomas tim timothy todd
    tom tony travis trey troy tyler vernon victor vince vincent vladimir walter warren wayne wesley
    william willie zach zachary""".split()
)

FEMALE = frozenset(
    """abigail alice alicia alison allison amanda amber amy ana andrea angela ann anna anne annie april
    barbara becky betsy betty beverly brenda brittany carla carly carmen carol carolyn catherine
    cathy charlotte cheryl christina christine cindy claire claudia colleen connie crystal cynthia
    debbie deborah debra denise diana diane donna doris dorothy elaine eleanor elena elizabeth ellen
    emily emma erica erin eva evelyn gina gloria hannah heather heidi helen hillary holly ivanka
    jackie jane janet janice jean jeanne jennifer jenny jessica jill joan joanna joanne jodi
    josephine joyce judith judy julia julie karen kate katherine kathleen kathryn kathy katie
    kayleigh kellyanne kimberly kirsten kristen laura lauren linda lisa lois loretta lori louise
    lucy madeleine maggie margaret maria marie marilyn marla martha mary maureen megan megyn melania
    melanie melissa meryl michele michelle mildred monica nancy naomi natalie nicole nikki nina nora
    olivia pam pamela patricia patty paula pauline peggy penny rachel rebecca rita roberta rosa ruth
    sally samantha sandra sara sarah sharon sheila shirley sophie stephanie sue susan suzanne tammy
    teresa theresa tina tracy valerie vanessa victoria virginia wanda wendy""".split()
)


def gender_of(first_name: str) -> str | None:
    """"m", "f" or None for a given name (case-insensitive; a trailing period is ignored)."""
    key = first_name.strip(".").casefold()
    if key in MALE:
        return "m"
    if key in FEMALE:
        return "f"
    return None
