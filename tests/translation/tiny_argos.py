"""Build tiny but valid Argos Translate packages offline, for tests.

A package is what ``argospm`` would install: a zip with exactly one top-level folder holding
``metadata.json``, a SentencePiece model, a CTranslate2 model and a MiniSBD sentence splitter.

The CTranslate2 model is a 1-layer Transformer whose weights are wired by hand so that the output
copies the input, piece by piece: deterministic and fast, and a translation through two packages
(``xx → en → yy``) gives the input back, which lets tests check the whole path.

How the copy works (``d`` = model width, ``H = d / 2`` = width of one attention head):

* residual stream: dims ``[0, V)`` carry the token (one-hot), dims ``[H, H + P)`` the position;
* encoder: attention and feed-forward are zero, so its output is ``LN(token + position)``;
* decoder: token embeddings are zero, so at step ``t`` its state is the position ``t`` only; the
  first cross-attention head matches decoder position ``t`` with source position ``t`` (query and
  key read the position dims) and copies the source token (value reads the token dims); the second
  head is zero; the output projection reads the token dims;
* the source gets ``</s>`` appended (``add_source_eos``), so copying it ends the translation;
  every query also matches that ``</s>`` weakly, so past the source's end every beam ends too.

With a glossary the output projection sends a copied source word to the piece of its translation
instead: a word-for-word translator whose output differs from its input, so tests can tell
whether a text went through translation.

The MiniSBD model is a three-node ONNX graph: a character that is ``.``, ``!`` or ``?`` ends a
sentence, nothing else does.
"""

from __future__ import annotations

import json
import zipfile
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np

SENTENCES = [
    "Hello, how are you?",
    "I need help with my residence permit.",
    "My family wants to come to Germany.",
    "Where can I find a flat after recognition?",
    "The deadline for the appeal is two weeks.",
    "Can my children go to school here?",
    "Thank you very much for the information.",
    "Please answer in English.",
    "When can I apply for naturalization?",
    "The letter from the Jobcenter arrived yesterday.",
    "Guten Tag, ich brauche einen Termin beim Amt.",
    "Merci beaucoup, bonne journée!",
    "abcdefghijklmnopqrstuvwxyz ABCDEFGHIJKLMNOPQRSTUVWXYZ 0123456789 .,!?-'",
]

_POSITIONS = 128  # one-hot positions (sentence pieces per sentence the copy is exact for)
_TABLE = 1024  # rows of the position table (longer decoding just sees zero positions)


def _piece(words: str) -> str:
    """The SentencePiece piece for a word (or words) at the start of a word: ``▁word``."""
    return "\u2581" + "\u2581".join(words.split())


def build_sentencepiece(
    directory: Path, *, sentences: Sequence[str] = (), glossary: Mapping[str, str] | None = None
) -> Path:
    """Train a unigram SentencePiece model on the sentences above (about 50 ms).

    Every glossary word (source and target side) becomes one piece of its own, so the model can
    map it as a whole.
    """
    import sentencepiece as spm

    directory.mkdir(parents=True, exist_ok=True)
    corpus = directory / "corpus.txt"
    corpus.write_text("\n".join([*SENTENCES, *sentences] * 3) + "\n", encoding="utf-8")
    prefix = directory / "sentencepiece"
    symbols = sorted({_piece(w) for pair in (glossary or {}).items() for w in pair})
    spm.SentencePieceTrainer.train(
        input=str(corpus),
        model_prefix=str(prefix),
        vocab_size=120 + len(symbols),
        user_defined_symbols=symbols,
        model_type="unigram",
        hard_vocab_limit=False,
        character_coverage=1.0,
        minloglevel=2,
    )
    corpus.unlink()
    return prefix.with_suffix(".model")


def _copy_transformer(pieces: list[str], out_dir: Path, mapping: Mapping[int, int] | None = None) -> None:
    import ctranslate2

    vocab = len(pieces)
    half = max(vocab, _POSITIONS + 1)
    half += half % 2
    d = 2 * half
    eos = pieces.index("</s>")
    eos_flag = half + _POSITIONS  # residual dim marking the source's </s>

    def zeros(*shape: int) -> np.ndarray:
        return np.zeros(shape, dtype=np.float32)

    def ln(spec: object) -> None:
        spec.gamma = np.ones(d, dtype=np.float32)  # type: ignore[attr-defined]
        spec.beta = zeros(d)  # type: ignore[attr-defined]

    positions = zeros(_TABLE, d)
    for p in range(_POSITIONS):
        positions[p, half + p] = 1.0

    spec = ctranslate2.specs.TransformerSpec.from_config(num_layers=1, num_heads=2)
    enc, dec = spec.encoder, spec.decoder
    enc.scale_embeddings = False
    dec.scale_embeddings = False
    embeddings = np.eye(vocab, d, dtype=np.float32)
    embeddings[eos, eos_flag] = 1.0
    enc.embeddings[0].weight = embeddings
    enc.position_encodings.encodings = positions
    ln(enc.layer_norm)
    layer = enc.layer[0]
    ln(layer.self_attention.layer_norm)
    layer.self_attention.linear[0].weight = zeros(3 * d, d)
    layer.self_attention.linear[1].weight = zeros(d, d)
    ln(layer.ffn.layer_norm)
    layer.ffn.linear_0.weight = zeros(d, d)
    layer.ffn.linear_1.weight = zeros(d, d)

    dec.embeddings.weight = zeros(vocab, d)
    dec.position_encodings.encodings = positions
    ln(dec.layer_norm)
    layer = dec.layer[0]
    ln(layer.self_attention.layer_norm)
    layer.self_attention.linear[0].weight = zeros(3 * d, d)
    layer.self_attention.linear[1].weight = zeros(d, d)
    ln(layer.attention.layer_norm)
    query = zeros(d, d)
    key_value = zeros(2 * d, d)
    output = zeros(d, d)
    for p in range(_POSITIONS):
        query[p, half + p] = 2.0  # head 1 query: the decoder position
        key_value[p, half + p] = 1.0  # head 1 key: the source position
    for t in range(vocab):
        key_value[d + t, t] = 1.0  # head 1 value: the source token
        output[t, t] = 1.0  # back into the token dims of the residual stream
    # Every query also matches the source's </s> a little: past the last source position nothing
    # else matches, so the copy ends there for every beam (else beams run to the length limit).
    key_value[_POSITIONS, eos_flag] = 1.0
    query_bias = zeros(d)
    query_bias[_POSITIONS] = 15.0
    layer.attention.linear[0].weight = query
    layer.attention.linear[0].bias = query_bias
    layer.attention.linear[1].weight = key_value
    layer.attention.linear[2].weight = output
    ln(layer.ffn.layer_norm)
    layer.ffn.linear_0.weight = zeros(d, d)
    layer.ffn.linear_1.weight = zeros(d, d)
    projection = np.eye(vocab, d, dtype=np.float32) * 4.0
    for source, target in (mapping or {}).items():  # glossary: a copied piece comes out as another
        projection[source, source] = 0.0
        projection[target, source] = 4.0
    dec.projection.weight = projection

    spec.register_source_vocabulary(pieces)
    spec.register_target_vocabulary(pieces)
    spec.validate()
    out_dir.mkdir(parents=True, exist_ok=True)
    spec.save(str(out_dir))
    config_file = out_dir / "config.json"
    config = json.loads(config_file.read_text(encoding="utf-8"))
    config["add_source_eos"] = True
    config_file.write_text(json.dumps(config), encoding="utf-8")


def build_minisbd(path: Path, lang: str = "xx") -> Path:
    """A rule-based MiniSBD model: ``.``, ``!`` and ``?`` end a sentence."""
    import onnx
    from onnx import TensorProto, helper

    units = helper.make_tensor_value_info("units", TensorProto.INT64, ["batch", "length"])
    features = helper.make_tensor_value_info("features", TensorProto.FLOAT, ["batch", "length", "f"])
    logits = helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["batch", "length", 5])
    end_id = helper.make_tensor("end_id", TensorProto.INT64, [], [2])
    weight = helper.make_tensor("weight", TensorProto.FLOAT, [5], [0.0, 0.0, 2.0, 0.0, 0.0])
    bias = helper.make_tensor("bias", TensorProto.FLOAT, [5], [1.0, 0.0, 0.0, 0.0, 0.0])
    axes = helper.make_tensor("axes", TensorProto.INT64, [1], [2])
    nodes = [
        helper.make_node("Equal", ["units", "end_id"], ["is_end"]),
        helper.make_node("Cast", ["is_end"], ["is_end_f"], to=TensorProto.FLOAT),
        helper.make_node("Unsqueeze", ["is_end_f", "axes"], ["is_end_3d"]),
        helper.make_node("Mul", ["is_end_3d", "weight"], ["scaled"]),
        helper.make_node("Add", ["scaled", "bias"], ["logits"]),
    ]
    graph = helper.make_graph(nodes, "rule_sbd", [units, features], [logits], [end_id, weight, bias, axes])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    vocab = {
        "lang": lang,
        "idx": 0,
        "cutoff": 0,
        "lower": False,
        "_unit2id": {"<PAD>": 0, "<UNK>": 1, ".": 2, "!": 2, "?": 2},
        "_id2unit": ["<PAD>", "<UNK>", "."],
    }
    config = {"max_seqlen": 1000, "batch_size": 32, "feat_funcs": [], "use_dictionary": False}
    for key, value in (("lang_code", lang), ("config", json.dumps(config)), ("vocab", json.dumps(vocab))):
        entry = model.metadata_props.add()
        entry.key, entry.value = key, value
    onnx.checker.check_model(model)
    path.parent.mkdir(parents=True, exist_ok=True)
    onnx.save(model, str(path))
    return path


def build_package(
    out_dir: Path,
    from_code: str,
    to_code: str,
    *,
    work: Path | None = None,
    glossary: Mapping[str, str] | None = None,
    sentences: Sequence[str] = (),
    splitter: bool = True,
) -> Path:
    """Write ``translate-<from>_<to>.argosmodel`` into ``out_dir`` and return its path.

    ``splitter=False`` leaves out the ``minisbd/`` sentence splitter, as some real packages do
    (Argos then asks MiniSBD for a model, which downloads one).

    Without a glossary the model copies its input. With one it is a word-for-word translator: each
    glossary word (a whole word of the source, as SentencePiece splits it) comes out as its
    translation, everything else is copied. ``sentences`` add the characters of the source
    language to the SentencePiece model.
    """
    import sentencepiece as spm

    name = f"translate-{from_code}_{to_code}"
    work = work or out_dir / f".build-{name}"
    root = work / name
    root.mkdir(parents=True, exist_ok=True)
    sp_model = build_sentencepiece(work / "sp", sentences=sentences, glossary=glossary)
    (root / "sentencepiece.model").write_bytes(sp_model.read_bytes())
    processor = spm.SentencePieceProcessor(model_file=str(sp_model))
    pieces = [processor.id_to_piece(i) for i in range(processor.get_piece_size())]
    index = {piece: i for i, piece in enumerate(pieces)}
    mapping = {index[_piece(k)]: index[_piece(v)] for k, v in (glossary or {}).items()}
    _copy_transformer(pieces, root / "model", mapping)
    if splitter:
        build_minisbd(root / "minisbd" / f"{from_code}.onnx", from_code)
    metadata = {
        "package_version": "1.0",
        "argos_version": "1.9.0",
        "from_code": from_code,
        "from_name": from_code.upper(),
        "to_code": to_code,
        "to_name": to_code.upper(),
        "type": "translate",
        "languages": [],
    }
    (root / "metadata.json").write_text(json.dumps(metadata), encoding="utf-8")
    out_dir.mkdir(parents=True, exist_ok=True)
    archive = out_dir / f"{name}.argosmodel"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
        for file in sorted(root.rglob("*")):
            if file.is_file():
                zf.write(file, file.relative_to(work).as_posix())
    return archive
