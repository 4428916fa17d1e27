"""Tiny randomly initialised Hugging Face models, built inside the tests and saved to a temp dir.

They exercise the real loading (`load_model` on a directory), tokenization, chat templating, padding,
batching, chunking and timeout code without any download. Their output is random words, so tests assert
structure (counts, lengths, types, fallbacks), never wording. Special tokens, including end-of-sequence,
are suppressed through the saved generation config, so every answer is exactly `max_new_tokens` words:
that makes length caps and non-empty outputs checkable.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from transformers import PreTrainedTokenizerFast


def _torch() -> Any:
    """torch, or a skip saying why: only the tests that build a tiny model need it, so a module that
    imports this one still runs its other tests without the torch extra."""
    return pytest.importorskip("torch", reason="tiny transformers models need the torch extra: "
                                               "pip install -e '.[torch]'")


SPECIALS = ["<pad>", "<s>", "</s>", "<unk>", "<|system|>", "<|user|>", "<|assistant|>"]
CHAT_TEMPLATE = (
    "{% for m in messages %}<|{{ m['role'] }}|> {{ m['content'] }} </s> {% endfor %}"
    "{% if add_generation_prompt %}<|assistant|>{% endif %}"
)
# Like Gemma's: no system role.
NO_SYSTEM_TEMPLATE = (
    "{% if messages[0]['role'] == 'system' %}{{ raise_exception('System role not supported') }}{% endif %}"
    + CHAT_TEMPLATE
)
CORPUS = """\
The president said the senate will vote on the budget bill on Monday. Elon Musk spoke with Donald Trump
on X for two hours. The conversation began 42 minutes late because of technical problems. Musk endorsed
Trump and pledged about $45 million a month to a super PAC. Officials in the U.S. reported 7.1 million
arrests at the border. Kamala Harris leads the Democratic ticket. The council approved a new bus network
and the mayor said commutes would be ten minutes shorter. Write exactly three short bullet points with
the most important facts in this article. Title Article Summarize news part of a few sentences at most.
Use only facts stated in the - , . : " ' ? ! ( )
"""


def word_tokenizer() -> PreTrainedTokenizerFast:
    """A word-level tokenizer trained on CORPUS in a few milliseconds; unknown words become <unk>."""
    from tokenizers import Tokenizer, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    tok = Tokenizer(models.WordLevel(unk_token="<unk>"))
    tok.pre_tokenizer = pre_tokenizers.Whitespace()
    tok.train_from_iterator(CORPUS.splitlines(), trainers.WordLevelTrainer(special_tokens=SPECIALS))
    fast = PreTrainedTokenizerFast(
        tokenizer_object=tok, bos_token="<s>", eos_token="</s>", pad_token="<pad>", unk_token="<unk>"
    )
    return fast


def _suppress_specials(model: Any, tokenizer: PreTrainedTokenizerFast) -> None:
    model.generation_config.suppress_tokens = tokenizer.convert_tokens_to_ids(SPECIALS)


def tiny_chat_model(
    path: Path, *, max_positions: int = 256, chat_template: str | None = CHAT_TEMPLATE, seed: int = 0
) -> Path:
    """A one-layer Llama with a chat template; `chat_template=None` makes a "base" model."""
    torch = _torch()
    from transformers import LlamaConfig, LlamaForCausalLM

    tokenizer = word_tokenizer()
    if chat_template:
        tokenizer.chat_template = chat_template
    torch.manual_seed(seed)
    config = LlamaConfig(
        vocab_size=len(tokenizer),
        hidden_size=32,
        intermediate_size=64,
        num_hidden_layers=1,
        num_attention_heads=2,
        num_key_value_heads=1,
        max_position_embeddings=max_positions,
        pad_token_id=tokenizer.pad_token_id,
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        tie_word_embeddings=False,
    )
    model = LlamaForCausalLM(config)
    _suppress_specials(model, tokenizer)
    model.save_pretrained(path)
    tokenizer.save_pretrained(path)
    return path


def tiny_seq2seq_model(path: Path, *, max_positions: int = 64, seed: int = 0) -> Path:
    """A one-layer BART with a short window (64 tokens), so chunking kicks in on a paragraph."""
    torch = _torch()
    from transformers import BartConfig, BartForConditionalGeneration

    tokenizer = word_tokenizer()
    torch.manual_seed(seed)
    config = BartConfig(
        vocab_size=len(tokenizer),
        d_model=32,
        encoder_layers=1,
        decoder_layers=1,
        encoder_attention_heads=2,
        decoder_attention_heads=2,
        encoder_ffn_dim=64,
        decoder_ffn_dim=64,
        max_position_embeddings=max_positions,
        pad_token_id=tokenizer.pad_token_id,
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        decoder_start_token_id=tokenizer.eos_token_id,
        forced_eos_token_id=None,
    )
    model = BartForConditionalGeneration(config)
    _suppress_specials(model, tokenizer)
    # What BART-CNN checkpoints ship; the wrapper must override them (greedy, no anti-repetition).
    model.generation_config.no_repeat_ngram_size = 3
    model.generation_config.num_beams = 4
    model.save_pretrained(path)
    tokenizer.save_pretrained(path)
    return path
