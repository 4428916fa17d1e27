"""A short self-written news article shared by the runtime and model-check tests: a headline, a vote with
numbers, a claim with "said", one with "according to", and figures a point can copy or distort."""

ARTICLE = (
    "Senate passes the budget bill\n\n"
    "The Senate passed the budget bill on Monday by a vote of 52 to 48. "
    "Senator Maria Lopez said the bill would fund new bridges in Ohio. "
    "The House will vote on the bill next week, according to Speaker John Reed. "
    "The bill includes $40 billion for roads and $12 billion for rail. "
    "Critics said the bill would raise the deficit by $90 billion over ten years."
)
