"""PyTorch-exported ONNX fixtures for test/onnx/torch-import.test.ts.

Regenerate (from the repository root; Debian's python3-torch 1.13 and python3-onnx 1.12):

    LD_LIBRARY_PATH=/usr/lib/x86_64-linux-gnu/openblas-openmp /usr/bin/python3 tools/torch-fixtures.py

For every fixture this writes test/fixtures/torch/<name>.onnx (torch.onnx.export, opset 14,
dynamic batch and time axes) and <name>.json holding:
  - causal: whether each step of every output with a time axis depends only on inputs up to
    that step (no reverse direction), so a shorter input gives a prefix of those outputs;
  - dynamicAxes: which axis of each graph input and output is 'batch' or 'time';
  - inputs: the tensors fed to the graph, by graph input name;
  - outputs: what the float32 PyTorch model computed, by graph output name;
  - probe: the loss L = sum over outputs k of sum(outputs[k] * coefficients[k]) with fixed
    random coefficients, and its value;
  - parameters: for every float ONNX initializer, the torch parameter(s) it was built from,
    the transform, and dL/d(initializer) already in the initializer's layout;
  - inputGrads: dL/d(input) for float inputs (token ids have none);
  - constants: initializers that hold no parameter (integer shape constants).
Gradients come from a float64 copy of the model (same weights, same inputs), so the reference
is free of float32 rounding and a test's tolerance covers only the importer's own error.

The exporter folds the weight transforms into the initializers: gates reordered
(LSTM i,f,g,o -> i,o,f,c; GRU r,z,n -> z,r,n), b_ih and b_hh concatenated into B, directions
stacked, Linear weights transposed for MatMul. Which initializer holds which parameter is
found here by applying each known transform to the torch parameters and matching values
exactly; an unmatched float initializer stops the script, so a changed exporter cannot
produce silently wrong fixtures. Everything is seeded, so a rerun rewrites identical files.
"""

import json
import os
import sys
import warnings

import numpy as np
import onnx
import torch
from onnx import numpy_helper
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

OPSET = 14
VOCAB = 20
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT_DIR = os.path.join(ROOT, "test", "fixtures", "torch")

# torch's gate blocks, listed in the order ONNX stores them, and how the JSON names the move.
GATE_ORDER = {"LSTM": [0, 3, 1, 2], "GRU": [1, 0, 2], "RNN": [0]}
GATE_NAMES = {"LSTM": "gates i,f,g,o -> i,o,f,c", "GRU": "gates r,z,n -> z,r,n", "RNN": "one gate"}


class Recurrent(torch.nn.Module):
    """A bare recurrent layer returning its sequence output and final state(s)."""

    def __init__(self, rnn, with_initial_state=False):
        super().__init__()
        self.rnn = rnn
        self.with_initial_state = with_initial_state

    def forward(self, x, *state):
        if self.with_initial_state:
            init = (state[0], state[1]) if isinstance(self.rnn, torch.nn.LSTM) else state[0]
            y, last = self.rnn(x, init)
        else:
            y, last = self.rnn(x)
        if isinstance(last, tuple):
            return (y, *last)
        return y, last


class EmbeddingLstmClassifier(torch.nn.Module):
    """Token ids -> Embedding -> LSTM (2 layers, bidirectional, batch_first) -> Linear on the last step."""

    def __init__(self):
        super().__init__()
        self.embedding = torch.nn.Embedding(VOCAB, 6)
        self.lstm = torch.nn.LSTM(6, 8, num_layers=2, bidirectional=True, batch_first=True)
        self.head = torch.nn.Linear(16, 3)

    def forward(self, tokens):
        y, _ = self.lstm(self.embedding(tokens))
        return self.head(y[:, -1])


class EmbeddingGruTagger(torch.nn.Module):
    """Token ids -> Embedding -> GRU (batch_first) -> Linear on every step."""

    def __init__(self):
        super().__init__()
        self.embedding = torch.nn.Embedding(VOCAB, 6)
        self.gru = torch.nn.GRU(6, 12, batch_first=True)
        self.head = torch.nn.Linear(12, VOCAB)

    def forward(self, tokens):
        y, _ = self.gru(self.embedding(tokens))
        return self.head(y)


class Packed(torch.nn.Module):
    """pack_padded_sequence -> recurrent layer -> pad_packed_sequence: variable-length rows,
    which the exporter turns into the node's sequence_lens (sorting the rows by length first
    when enforce_sorted is False). Returns the padded sequence output and the final h."""

    def __init__(self, rnn, enforce_sorted, embedding=None):
        super().__init__()
        self.embedding = embedding
        self.rnn = rnn
        self.enforce_sorted = enforce_sorted

    def forward(self, x, lengths):
        batch_first = self.rnn.batch_first
        if self.embedding is not None:
            x = self.embedding(x)
        packed = pack_padded_sequence(x, lengths, batch_first=batch_first, enforce_sorted=self.enforce_sorted)
        # Zero initial states sized from the input: left to the RNN, the exporter would size
        # them from the batch at export time and the file would run at that batch only.
        directions = 2 if self.rnn.bidirectional else 1
        h0 = x.new_zeros(self.rnn.num_layers * directions, lengths.shape[0], self.rnn.hidden_size)
        y, last = self.rnn(packed, (h0, h0) if isinstance(self.rnn, torch.nn.LSTM) else h0)
        y, _ = pad_packed_sequence(y, batch_first=batch_first, total_length=x.shape[1 if batch_first else 0])
        return y, last[0] if isinstance(last, tuple) else last


BATCH, TIME, FEATURES = 3, 5, 4


def recurrent_fixture(name, kind, hidden, seed, description, batch_first=False, num_layers=1,
                      bidirectional=False, nonlinearity="tanh", bias=True, with_initial_state=False):
    def build():
        torch.manual_seed(seed)
        cls = getattr(torch.nn, kind)
        extra = {"nonlinearity": nonlinearity} if kind == "RNN" else {}
        rnn = cls(FEATURES, hidden, num_layers=num_layers, bidirectional=bidirectional,
                  batch_first=batch_first, bias=bias, **extra)
        model = Recurrent(rnn, with_initial_state)
        x_shape = (BATCH, TIME, FEATURES) if batch_first else (TIME, BATCH, FEATURES)
        seq_axes = {0: "batch", 1: "time"} if batch_first else {0: "time", 1: "batch"}
        inputs = [("x", torch.randn(*x_shape), seq_axes)]
        state_shape = (num_layers * (2 if bidirectional else 1), BATCH, hidden)
        state_names = ["h_n", "c_n"] if kind == "LSTM" else ["h_n"]
        if with_initial_state:
            for s in state_names:
                inputs.append((s.replace("_n", "0"), torch.randn(*state_shape), {1: "batch"}))
        outputs = [("y", seq_axes)] + [(s, {1: "batch"}) for s in state_names]
        return model, inputs, outputs

    return {"name": name, "description": description, "build": build, "causal": not bidirectional}


def embedding_fixture(name, cls, seed, description, last_step, causal):
    def build():
        torch.manual_seed(seed)
        model = cls()
        tokens = torch.randint(0, VOCAB, (BATCH, TIME), dtype=torch.int64)
        out_axes = {0: "batch"} if last_step else {0: "batch", 1: "time"}
        return model, [("tokens", tokens, {0: "batch", 1: "time"})], [("logits", out_axes)]

    return {"name": name, "description": description, "build": build, "causal": causal}


def packed_fixture(name, seed, description, lengths, enforce_sorted, embedding):
    def build():
        torch.manual_seed(seed)
        lens = torch.tensor(lengths, dtype=torch.int64)
        if embedding:
            rnn = torch.nn.LSTM(6, 8, bidirectional=True, batch_first=True)
            model = Packed(rnn, enforce_sorted, torch.nn.Embedding(VOCAB, 6))
            # Real ids in each row's first `length` steps, the padding id 0 after them.
            x = torch.randint(1, VOCAB, (BATCH, TIME), dtype=torch.int64)
            x[torch.arange(TIME)[None, :] >= lens[:, None]] = 0
            seq_axes, x_name = {0: "batch", 1: "time"}, "tokens"
        else:
            model = Packed(torch.nn.GRU(FEATURES, 8), enforce_sorted)
            x = torch.randn(TIME, BATCH, FEATURES)
            seq_axes, x_name = {0: "time", 1: "batch"}, "x"
        inputs = [(x_name, x, seq_axes), ("lengths", lens, {0: "batch"})]
        return model, inputs, [("y", seq_axes), ("h_n", {1: "batch"})]

    # A shorter input would cut rows below their lengths: no prefix property to check.
    return {"name": name, "description": description, "build": build, "causal": False}


FIXTURES = [
    recurrent_fixture("lstm", "LSTM", 16, 101, "LSTM, time-major, outputs Y, Y_h, Y_c"),
    recurrent_fixture("lstm_batch_first_initial_state", "LSTM", 8, 102,
                      "LSTM, batch_first, initial h0/c0 as graph inputs (their gradients recorded)",
                      batch_first=True, with_initial_state=True),
    recurrent_fixture("lstm_stacked_bidirectional", "LSTM", 8, 103,
                      "LSTM, 2 layers, bidirectional, time-major", num_layers=2, bidirectional=True),
    recurrent_fixture("lstm_no_bias", "LSTM", 8, 104, "LSTM without biases (no B input)", bias=False),
    recurrent_fixture("gru_batch_first", "GRU", 8, 201, "GRU, batch_first (linear_before_reset = 1)",
                      batch_first=True),
    recurrent_fixture("gru_stacked_bidirectional", "GRU", 8, 202,
                      "GRU, 2 layers, bidirectional, batch_first", batch_first=True, num_layers=2,
                      bidirectional=True),
    recurrent_fixture("gru_initial_state", "GRU", 8, 203, "GRU, time-major, initial h0 as a graph input",
                      with_initial_state=True),
    recurrent_fixture("rnn_tanh", "RNN", 8, 301, "RNN (tanh), time-major"),
    recurrent_fixture("rnn_relu_stacked_bidirectional", "RNN", 8, 302,
                      "RNN (relu), 2 layers, bidirectional, batch_first", batch_first=True, num_layers=2,
                      bidirectional=True, nonlinearity="relu"),
    embedding_fixture("embedding_lstm_classifier", EmbeddingLstmClassifier, 401,
                      "Embedding -> LSTM (2 layers, bidirectional, batch_first) -> Linear on the last step",
                      last_step=True, causal=False),
    embedding_fixture("embedding_gru_tagger", EmbeddingGruTagger, 402,
                      "Embedding -> GRU (batch_first) -> Linear on every step", last_step=False, causal=True),
    packed_fixture("embedding_lstm_packed", 501,
                   "Embedding -> pack_padded_sequence (sorted) -> LSTM (bidirectional, batch_first) -> "
                   "pad_packed_sequence: lengths as sequence_lens", [5, 4, 2], True, True),
    packed_fixture("gru_packed_unsorted", 502,
                   "pack_padded_sequence (enforce_sorted=False) -> GRU (time-major) -> pad_packed_sequence: "
                   "rows sorted by length in the graph", [2, 5, 4], False, False),
]


def candidates(model):
    """(sources, transform, fn) for every layout the exporter may store a parameter in.

    fn maps a dict of arrays keyed by torch parameter name to one array; it is linear
    and only moves values, so the same transform carries gradients into the initializer's layout.
    """
    params = dict(model.named_parameters())
    out = []
    for pname, p in params.items():
        out.append(([pname], "identity", lambda d, n=pname: d[n]))
        if p.dim() == 2:
            out.append(([pname], "transpose", lambda d, n=pname: d[n].T))
    for prefix, mod in model.named_modules():
        if not isinstance(mod, torch.nn.RNNBase):
            continue
        family = "RNN" if mod.mode.startswith("RNN") else mod.mode
        order = GATE_ORDER[family]
        suffixes = ["", "_reverse"] if mod.bidirectional else [""]

        def reorder(a, order=order):
            blocks = np.split(a, len(order), axis=0)
            return np.concatenate([blocks[g] for g in order], axis=0)

        for layer in range(mod.num_layers):
            def names(kind, layer=layer, prefix=prefix, suffixes=suffixes):
                return [f"{prefix}.{kind}_l{layer}{s}" for s in suffixes]

            gates = f"{GATE_NAMES[family]}; directions stacked on axis 0"
            for onnx_name, kind in (("W", "weight_ih"), ("R", "weight_hh")):
                src = names(kind)
                out.append((src, f"{onnx_name}: {gates}",
                            lambda d, src=src, reorder=reorder: np.stack([reorder(d[n]) for n in src])))
            if mod.bias:
                src_ih, src_hh = names("bias_ih"), names("bias_hh")
                out.append((src_ih + src_hh, f"B: {gates}; [b_ih, b_hh] per direction",
                            lambda d, ih=src_ih, hh=src_hh, reorder=reorder: np.stack(
                                [np.concatenate([reorder(d[a]), reorder(d[b])]) for a, b in zip(ih, hh)])))
    return out


def tensor_json(a):
    a = np.asarray(a)
    if a.dtype.kind == "f":
        # 9 significant digits round-trip a float32 exactly; float64 gradients keep more than
        # the 1e-4 relative tolerance they are checked at needs.
        data = [float(f"{v:.9g}") for v in a.astype(np.float64).ravel()]
        dtype = "float32" if a.dtype == np.float32 else "float64"
    else:
        data = [int(v) for v in a.ravel()]
        dtype = str(a.dtype)
    return {"dtype": dtype, "shape": list(a.shape), "data": data}


def as_tuple(out):
    return out if isinstance(out, tuple) else (out,)


def generate(fixture):
    name = fixture["name"]
    model, inputs, outputs = fixture["build"]()
    model.eval()
    input_tensors = tuple(t for _, t, _ in inputs)
    input_names = [n for n, _, _ in inputs]
    output_names = [n for n, _ in outputs]
    dynamic_axes = {n: axes for n, _, axes in inputs}
    dynamic_axes.update({n: axes for n, axes in outputs})

    onnx_path = os.path.join(OUT_DIR, f"{name}.onnx")
    torch.onnx.export(model, input_tensors, onnx_path, opset_version=OPSET, input_names=input_names,
                      output_names=output_names, dynamic_axes=dynamic_axes, do_constant_folding=True)
    graph = onnx.load(onnx_path)
    onnx.checker.check_model(graph)

    with torch.no_grad():
        out32 = [o.numpy() for o in as_tuple(model(*input_tensors))]

    # Same weights, same inputs, float64: the probe loss and its gradients.
    model64 = model.double()
    gen = torch.Generator().manual_seed(7)
    coefficients = [torch.randn(*o.shape, generator=gen, dtype=torch.float64) for o in out32]
    inputs64 = [t.double().requires_grad_() if t.is_floating_point() else t for t in input_tensors]
    out64 = as_tuple(model64(*inputs64))
    for n, a, b in zip(output_names, out32, out64):
        err = np.abs(a.astype(np.float64) - b.detach().numpy()).max()
        if err > 1e-5:
            sys.exit(f"{name}: float64 copy of the model disagrees on output {n} by {err}")
    loss = sum((o * c).sum() for o, c in zip(out64, coefficients))
    loss.backward()
    grads = {n: p.grad.numpy() for n, p in model64.named_parameters()}
    values = {n: p.detach().numpy().astype(np.float32) for n, p in model64.named_parameters()}

    cands = candidates(model64)
    parameters, constants, used = {}, [], set()
    for init in graph.graph.initializer:
        value = numpy_helper.to_array(init)
        if value.dtype.kind != "f":
            constants.append(init.name)
            continue
        match = next((c for c in cands
                      if c[2](values).shape == value.shape and np.array_equal(c[2](values), value)), None)
        if match is None:
            sys.exit(f"{name}: initializer {init.name} {list(value.shape)} matches no torch parameter "
                     f"under any known transform")
        sources, transform, fn = match
        used.update(sources)
        parameters[init.name] = {"from": sources, "transform": transform, "grad": tensor_json(fn(grads))}
    missing = set(values) - used
    if missing:
        sys.exit(f"{name}: torch parameters {sorted(missing)} are held by no initializer")

    record = {
        "name": name,
        "description": fixture["description"],
        "generator": "tools/torch-fixtures.py",
        "torch": torch.__version__,
        "opset": OPSET,
        "causal": fixture["causal"],
        "dynamicAxes": {n: {str(axis): label for axis, label in axes.items()} for n, axes in dynamic_axes.items()},
        "inputs": {n: tensor_json(t.numpy()) for n, t in zip(input_names, input_tensors)},
        "outputs": {n: tensor_json(o) for n, o in zip(output_names, out32)},
        "probe": {
            "definition": "L = sum over outputs k of sum(outputs[k] * coefficients[k])",
            "coefficients": {n: tensor_json(c.numpy()) for n, c in zip(output_names, coefficients)},
            "value": float(f"{loss.item():.12g}"),
        },
        "parameters": parameters,
        "inputGrads": {n: tensor_json(t.grad.numpy()) for n, t in zip(input_names, inputs64)
                       if t.is_floating_point()},
        "constants": constants,
    }
    json_path = os.path.join(OUT_DIR, f"{name}.json")
    with open(json_path, "w") as f:
        json.dump(record, f, separators=(",", ":"))
        f.write("\n")
    print(f"{name}: {os.path.getsize(onnx_path)} B onnx, {os.path.getsize(json_path)} B json, "
          f"{len(parameters)} parameter initializers, {len(constants)} constants")


def main():
    # The exporter warns that a recurrent layer exported at batch 3 may not run at other batch
    # sizes (true only where it sizes a packed sequence's initial states itself, which Packed
    # avoids; the test runs every file at batch 1) and that prim::Constant lacks shape inference.
    warnings.filterwarnings("ignore", category=UserWarning, module=r"torch\.onnx")
    torch.set_num_threads(1)
    os.makedirs(OUT_DIR, exist_ok=True)
    for fixture in FIXTURES:
        generate(fixture)


if __name__ == "__main__":
    main()
