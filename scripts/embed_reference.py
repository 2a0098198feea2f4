#!/usr/bin/env python3
"""The plain reference pipeline for `chief bench embed`: the same model and tokenizer
through Python `onnxruntime` + `tokenizers`, batches of 32 in input order padded to
the longest text of each batch, mean pooling and L2 normalization.
Prints {"texts": N, "seconds": S} as JSON.

usage: embed_reference.py MODEL_DIR TEXTS_JSON THREADS
"""
import json
import sys
import time

import numpy as np
import onnxruntime as ort
from tokenizers import Tokenizer


def main() -> None:
    model_dir, texts_path, threads = sys.argv[1], sys.argv[2], int(sys.argv[3])
    texts = json.load(open(texts_path))
    tok = Tokenizer.from_file(f"{model_dir}/tokenizer.json")
    tok.enable_padding()
    tok.enable_truncation(max_length=256)
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = threads
    opts.inter_op_num_threads = 1
    sess = ort.InferenceSession(f"{model_dir}/model.onnx", opts, providers=["CPUExecutionProvider"])
    names = [i.name for i in sess.get_inputs()]
    order = list(range(len(texts)))
    start = time.perf_counter()
    for b in range(0, len(order), 32):
        batch = [texts[i] for i in order[b:b + 32]]
        enc = tok.encode_batch(batch)
        ids = np.array([e.ids for e in enc], dtype=np.int64)
        mask = np.array([e.attention_mask for e in enc], dtype=np.int64)
        feed = {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
        out = sess.run(None, {k: v for k, v in feed.items() if k in names})[0]
        m = mask[:, :, None].astype(np.float32)
        pooled = (out * m).sum(1) / np.clip(m.sum(1), 1e-9, None)
        pooled /= np.linalg.norm(pooled, axis=1, keepdims=True)
    print(json.dumps({"texts": len(texts), "seconds": time.perf_counter() - start}))


if __name__ == "__main__":
    main()
