#!/usr/bin/env python3
"""megatron_reader.py: an independent reader for the token shards corpusd
writes, following Megatron-LM's documented MMIDIDX layout
(megatron/core/datasets/indexed_dataset.py) and datatrove's .ds layout, with
numpy only. It also builds the small byte-level tokenizer.json the test uses
and decodes ids with it, so documents can be checked end to end.

  megatron_reader.py make-tokenizer OUT.json BIG(0|1)
  megatron_reader.py make-docs OUT.jsonl
  megatron_reader.py check-megatron PREFIX DOCS.jsonl TOKENIZER.json MAX_TOKENS [shuffled]
  megatron_reader.py check-datatrove PREFIX DOCS.jsonl TOKENIZER.json
"""
import glob
import json
import random
import struct
import sys

import numpy as np

DTYPES = {1: np.uint8, 2: np.int8, 3: np.int16, 4: np.int32, 5: np.int64, 6: np.float64, 7: np.float32, 8: np.uint16}


def bytes_to_unicode():
    bs = list(range(ord('!'), ord('~') + 1)) + list(range(ord('¡'), ord('¬') + 1)) + list(range(ord('®'), ord('ÿ') + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return dict(zip(bs, [chr(c) for c in cs]))


def make_tokenizer(out, big):
    b2u = bytes_to_unicode()
    vocab = {b2u[b]: b for b in range(256)}
    merges = []
    for a, b in [('t', 'h'), ('th', 'e'), ('Ġ', 'the'), ('i', 'n'), ('in', 'g'), ('e', 'r'), ('Ġ', 'a'), ('o', 'n'), ('a', 'n')]:
        vocab[a + b] = len(vocab)
        merges.append([a, b])
    if big:  # push the vocabulary past 65500 ids so the shards must use int32
        for i in range(70000):
            vocab[f'zz{i}'] = len(vocab)
    eos = len(vocab)
    j = {
        'version': '1.0',
        'added_tokens': [{'id': eos, 'content': '<|endoftext|>', 'special': True, 'normalized': False,
                          'lstrip': False, 'rstrip': False, 'single_word': False}],
        'normalizer': None,
        'pre_tokenizer': {'type': 'ByteLevel', 'add_prefix_space': False, 'use_regex': True},
        'post_processor': {'type': 'ByteLevel'},
        'decoder': {'type': 'ByteLevel'},
        'model': {'type': 'BPE', 'vocab': vocab, 'merges': merges},
    }
    json.dump(j, open(out, 'w'), ensure_ascii=False)


def decoder(tok_path):
    j = json.load(open(tok_path))
    u2b = {u: b for b, u in bytes_to_unicode().items()}
    inv = {}
    for s, i in j['model']['vocab'].items():
        inv[i] = bytes(u2b[c] for c in s) if all(c in u2b for c in s) else None
    eos = None
    for a in j['added_tokens']:
        inv[a['id']] = a['content'].encode()
        if a['content'] == '<|endoftext|>':
            eos = a['id']
    return inv, eos


def make_docs(out):
    rng = random.Random(5)
    words = ['the', 'then', 'ing', 'an', 'on', 'zebra', 'Über', '日本', '😀', '12345', '\n', '  ', 'x']
    with open(out, 'w') as f:
        for i in range(300):
            n = rng.choice([0, 1, 3, 20, 200, 1500])
            text = ' '.join(rng.choice(words) for _ in range(n))
            src = rng.choice(['cc', 'github', 'synth'])
            f.write(json.dumps({'id': f'doc{i}', 'text': text, 'source': src, 'metadata': {'language': 'en'}}) + '\n')


def fail(msg):
    print('FAIL:', msg)
    sys.exit(1)


def read_megatron(prefix):
    docs = []
    for n in range(10000):
        idx = f'{prefix}_{n}.idx'
        try:
            buf = open(idx, 'rb').read()
        except FileNotFoundError:
            break
        if buf[:9] != b'MMIDIDX\x00\x00':
            fail(f'{idx}: bad magic')
        version, = struct.unpack('<Q', buf[9:17])
        code, = struct.unpack('<B', buf[17:18])
        seq_count, doc_count = struct.unpack('<QQ', buf[18:34])
        if version != 1:
            fail(f'{idx}: version {version}')
        dtype = DTYPES[code]
        off = 34
        lengths = np.frombuffer(buf, dtype=np.int32, count=seq_count, offset=off)
        off += lengths.nbytes
        pointers = np.frombuffer(buf, dtype=np.int64, count=seq_count, offset=off)
        off += pointers.nbytes
        doc_idx = np.frombuffer(buf, dtype=np.int64, count=doc_count, offset=off)
        off += doc_idx.nbytes
        if off != len(buf):
            fail(f'{idx}: {len(buf) - off} trailing bytes')
        if doc_count != seq_count + 1 or doc_idx[0] != 0 or list(doc_idx) != list(range(doc_count)):
            fail(f'{idx}: document indices {list(doc_idx)[:5]}... (count {doc_count}, sequences {seq_count})')
        itemsize = np.dtype(dtype).itemsize
        expect_ptr = np.concatenate([[0], np.cumsum(lengths.astype(np.int64) * itemsize)[:-1]]) if seq_count else []
        if seq_count and not np.array_equal(pointers, expect_ptr):
            fail(f'{idx}: pointers are not the cumulative byte offsets')
        bin_ = np.fromfile(f'{prefix}_{n}.bin', dtype=dtype)
        if bin_.size != int(lengths.sum()):
            fail(f'{prefix}_{n}.bin: {bin_.size} tokens, index says {int(lengths.sum())}')
        shard = []
        for p, l in zip(pointers, lengths):
            shard.append(bin_[p // itemsize: p // itemsize + l].astype(np.int64))
        docs.append((dtype, shard))
    return docs


def read_datatrove(prefix):
    docs = []
    for n in range(10000):
        try:
            ends = np.fromfile(f'{prefix}_{n}.ds.index', dtype=np.uint64)
        except FileNotFoundError:
            break
        meta = open(f'{prefix}_{n}.ds.metadata').read().split('\n')
        size = int(meta[0].rsplit('|', 1)[1])
        toks = np.fromfile(f'{prefix}_{n}.ds', dtype=np.uint16 if size == 2 else np.uint32)
        if int(meta[1]) != toks.size or (ends.size and int(ends[-1]) != toks.size):
            fail(f'{prefix}_{n}.ds: metadata/index disagree with {toks.size} tokens')
        starts = np.concatenate([[0], ends[:-1]]).astype(np.int64)
        docs.append((size, [toks[s:e].astype(np.int64) for s, e in zip(starts, ends.astype(np.int64))]))
    return docs


def check_docs(shards, docs_path, tok_path, shuffled):
    inv, eos = decoder(tok_path)
    texts = [json.loads(l)['text'] for l in open(docs_path)]
    expected = [t.encode() for t in texts if t]
    got = []
    for _, shard in shards:
        for ids in shard:
            if ids.size == 0 or ids[-1] != eos:
                fail('a document does not end with EOD')
            got.append(b''.join(inv[int(i)] for i in ids[:-1]))
    if shuffled:
        if sorted(got) != sorted(expected):
            fail('shuffled documents are not a permutation of the input')
        if got == expected:
            fail('shuffle left the order unchanged')
    elif got != expected:
        bad = next(i for i in range(min(len(got), len(expected))) if got[i] != expected[i]) if got[:len(expected)] != expected[:len(got)] else min(len(got), len(expected))
        fail(f'documents differ from the input (got {len(got)}, expected {len(expected)}; first at {bad})')
    return got


def main():
    cmd = sys.argv[1]
    if cmd == 'make-tokenizer':
        make_tokenizer(sys.argv[2], sys.argv[3] == '1')
    elif cmd == 'make-docs':
        make_docs(sys.argv[2])
    elif cmd == 'check-megatron':
        prefix, docs_path, tok_path, max_tokens = sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5])
        shards = read_megatron(prefix)
        if not shards:
            fail('no shards')
        vocab = len(json.load(open(tok_path))['model']['vocab']) + 1
        want = np.uint16 if vocab < 65500 else np.int32
        for dtype, shard in shards:
            if dtype is not want:
                fail(f'dtype {dtype} for a vocabulary of {vocab}')
            total = sum(int(s.size) for s in shard)
            if max_tokens and total > max_tokens and len(shard) > 1:
                fail(f'a shard holds {total} tokens > max_tokens {max_tokens}')
        check_docs(shards, docs_path, tok_path, len(sys.argv) > 6)
        print(f'ok: {len(shards)} shards, {sum(len(s) for _, s in shards)} documents, dtype {want.__name__}')
    elif cmd == 'check-datatrove':
        shards = read_datatrove(sys.argv[2])
        if not shards:
            fail('no shards')
        check_docs(shards, sys.argv[3], sys.argv[4], False)
        print(f'ok: {len(shards)} datatrove shards')


main()
