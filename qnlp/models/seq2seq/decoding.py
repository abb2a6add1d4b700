"""Greedy and beam decoding for any model with ``encode`` / ``decode`` (see
:class:`~qnlp.models.seq2seq.model.Seq2SeqModel`).

Each step runs the decoder on the whole prefix (the models are small and causal, so earlier
positions give the same values; a shot-based evaluator caches their circuits). Both return, per
sentence, the output token ids (without ``<s>`` and ``</s>``) and the cross-attention weights of
each output token ``(n_out, S)`` (for the unknown-word policy).
"""

from __future__ import annotations

import torch

BOS_ID, EOS_ID, PAD_ID = 2, 3, 0


def _final_weights(model, memory, seqs, evaluator):
    """Cross-attention rows of finished sequences (one batched decode of ``<s>`` + tokens)."""
    width = max(len(s) for s in seqs) + 1
    ids = torch.zeros(len(seqs), width, dtype=torch.long)
    for i, s in enumerate(seqs):
        ids[i, 0] = BOS_ID
        ids[i, 1:len(s) + 1] = torch.as_tensor(s, dtype=torch.long)
    mask = torch.arange(width)[None, :] < torch.as_tensor([len(s) + 1 for s in seqs])[:, None]
    _, weights = model.decode(memory, ids, mask, evaluator=evaluator, return_weights=True)
    return [weights[i, :len(s)].detach().double().numpy() for i, s in enumerate(seqs)]


def _ban(logits: torch.Tensor, allowed: torch.Tensor | None) -> torch.Tensor:
    """``logits`` ``(N, V)`` with the tokens not ``allowed`` ``(N, V)`` set to ``-inf``."""
    return logits if allowed is None else logits.masked_fill(~allowed, float("-inf"))


def greedy(model, src_ids: torch.Tensor, src_mask: torch.Tensor, *, max_len: int, evaluator=None,
           allowed: torch.Tensor | None = None):
    """Most probable next token at every step, until ``</s>`` or ``max_len`` tokens.

    ``allowed`` ``(B, V)`` bool: the tokens each sentence may output (e.g. no ``<unk>`` when the
    source has no unknown word, no copy placeholder the source does not have).

    Returns
    -------
    list of (list of int, numpy.ndarray)
    """
    with torch.no_grad():
        memory = model.encode(src_ids, src_mask, evaluator=evaluator)
        b = src_ids.shape[0]
        ys = torch.full((b, 1), BOS_ID, dtype=torch.long)
        done = torch.zeros(b, dtype=torch.bool)
        for _ in range(max_len):
            mask = torch.ones_like(ys, dtype=torch.bool)
            mask[:, 1:] = ys[:, 1:] != PAD_ID
            logits = model.decode(memory, ys, mask, evaluator=evaluator)
            nxt = _ban(logits[:, -1], allowed).argmax(-1)
            nxt = torch.where(done, torch.full_like(nxt, PAD_ID), nxt)
            ys = torch.cat([ys, nxt[:, None]], 1)
            done |= nxt == EOS_ID
            if bool(done.all()):
                break
        seqs = []
        for row in ys[:, 1:].tolist():
            out = []
            for tok in row:
                if tok in (EOS_ID, PAD_ID):
                    break
                out.append(tok)
            seqs.append(out)
        weights = _final_weights(model, memory, seqs, evaluator)
    return list(zip(seqs, weights))


def _penalty(length: int, alpha: float) -> float:
    """GNMT length penalty ``((5 + length) / 6) ** alpha`` (Wu et al. 2016)."""
    return ((5.0 + length) / 6.0) ** alpha


def beam_search(model, src_ids: torch.Tensor, src_mask: torch.Tensor, *, beam: int, max_len: int,
                alpha: float = 0.6, evaluator=None, allowed: torch.Tensor | None = None):
    """Beam search of width ``beam``; finished hypotheses ranked by log-probability over the
    length penalty. ``beam=1`` gives the greedy result; ``allowed`` as in :func:`greedy`."""
    if beam <= 1:
        return greedy(model, src_ids, src_mask, max_len=max_len, evaluator=evaluator, allowed=allowed)
    with torch.no_grad():
        b = src_ids.shape[0]
        memory = model.encode(src_ids, src_mask, evaluator=evaluator)
        rep = memory.select(torch.arange(b).repeat_interleave(beam))
        hyps = [[[] for _ in range(beam)] for _ in range(b)]
        scores = torch.full((b, beam), float("-inf"))
        scores[:, 0] = 0.0
        finished = [[] for _ in range(b)]
        for step in range(max_len):
            ids = torch.full((b * beam, step + 1), BOS_ID, dtype=torch.long)
            for i in range(b):
                for k in range(beam):
                    if hyps[i][k]:
                        ids[i * beam + k, 1:] = torch.as_tensor(hyps[i][k])
            logits = model.decode(rep, ids, torch.ones_like(ids, dtype=torch.bool), evaluator=evaluator)
            last = _ban(logits[:, -1], None if allowed is None else allowed.repeat_interleave(beam, 0))
            logp = torch.log_softmax(last.double(), -1).reshape(b, beam, -1)
            cand = scores.double()[:, :, None] + logp
            top_v, top_i = cand.reshape(b, -1).topk(2 * beam, dim=-1)
            vocab = logp.shape[-1]
            new_hyps, new_scores = [], torch.full((b, beam), float("-inf"))
            for i in range(b):
                kept = []
                for v, j in zip(top_v[i].tolist(), top_i[i].tolist()):
                    if v == float("-inf"):
                        break
                    k, tok = divmod(j, vocab)
                    seq = hyps[i][k] + [tok]
                    if tok == EOS_ID:
                        finished[i].append((v / _penalty(len(seq), alpha), seq[:-1]))
                    else:
                        kept.append((v, seq))
                    if len(kept) == beam:
                        break
                best_done = max((s for s, _ in finished[i]), default=float("-inf"))
                best_alive = max((v for v, _ in kept), default=float("-inf"))
                if best_alive / _penalty(step + 1, alpha) < best_done and step > 0:
                    kept = []  # no live hypothesis can overtake (scores only fall)
                row = [seq for _, seq in kept] + [[PAD_ID]] * (beam - len(kept))
                new_hyps.append(row[:beam])
                for k, (v, _) in enumerate(kept[:beam]):
                    new_scores[i, k] = v
            hyps, scores = new_hyps, new_scores
            if bool(torch.isinf(scores).all()):
                break
        seqs = []
        for i in range(b):
            if finished[i]:
                seqs.append(max(finished[i], key=lambda x: x[0])[1])
            else:
                k = int(scores[i].argmax())
                seqs.append([t for t in hyps[i][k] if t != PAD_ID])
        weights = _final_weights(model, memory, seqs, evaluator) if seqs else []
    return list(zip(seqs, weights))
