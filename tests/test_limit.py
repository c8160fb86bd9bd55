"""The Limit Transformer: PERIODIC encodings, LOCAL φ, any length, and the GPT options it uses."""

import pytest
import torch

from lengen.limit import LimitConfig, LimitTransformer, PairSignNorm
from lengen.model import GPT, ModelConfig


@pytest.fixture(autouse=True, scope="module")
def _one_thread():
    """One BLAS thread: on a shared 2-core machine two threads can be 50x slower for these small products."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def limit(period: int = 3, window: int = 2, chunk: int = 1 << 22, **kw) -> LimitTransformer:
    torch.manual_seed(0)
    cfg = LimitConfig(vocab_size=7, n_layer=2, n_head=2, d_model=8, period=period, window=window,
                      chunk_elements=chunk, **kw)
    model = LimitTransformer(cfg).double().eval()
    with torch.no_grad():
        for block in model.blocks:
            block.attn.phi.normal_()
    return model


def reference(model: LimitTransformer) -> GPT:
    """A plain GPT with the same weights whose two positional seams return the Limit
    Transformer's periodic encodings and its dense φ term."""

    class WithPhi(GPT):
        def positional_embedding(self, positions):  # type: ignore[no-untyped-def]
            return model.positional_embedding(positions)

        def attention_bias(self, layer, positions):  # type: ignore[no-untyped-def]
            return model.phi_bias(layer, positions.shape[1])

    c = model.cfg
    ref = WithPhi(ModelConfig(vocab_size=c.vocab_size, n_layer=c.n_layer, n_head=c.n_head, d_model=c.d_model,
                              d_mlp=c.d_mlp, pe="nope")).double().eval()
    ref.load_state_dict({k: v for k, v in model.state_dict().items() if "phi" not in k and k != "pe_table"})
    return ref


def test_runs_on_inputs_of_any_length():
    model = LimitTransformer(LimitConfig(vocab_size=5, n_layer=1, n_head=1, d_model=8, n_positions=10))
    with torch.no_grad():
        assert model(torch.zeros(1, 3000, dtype=torch.long)).shape == (1, 3000, 5)


def test_positional_encodings_are_periodic():
    model = limit(period=3)
    pos = torch.arange(0, 30).expand(1, 30)
    p = model.positional_embedding(pos)[0]  # (30, d)
    assert torch.equal(p[:27], p[3:])
    assert not torch.equal(p[0], p[1])


def test_phi_is_translation_invariant_and_zero_beyond_the_window():
    model = limit(window=2)
    bias = model.phi_bias(0, 12)[0]  # (H, T, T)
    phi = model.blocks[0].attn.phi
    for i in range(12):
        for j in range(i + 1):
            want = phi[:, i - j] if i - j <= 2 else torch.zeros(2, dtype=phi.dtype)
            assert torch.equal(bias[:, i, j], want)
        assert torch.all(bias[:, i, i + 1:] == 0)


@pytest.mark.parametrize("chunk", [1 << 22, 40])  # one block of rows, and many small ones
def test_chunked_attention_equals_gpts_explicit_attention_with_the_dense_phi(chunk):
    model = limit(chunk=chunk)
    x = torch.randint(0, 7, (2, 23))
    pos = torch.arange(4, 27).expand(2, 23)
    with torch.no_grad():
        assert torch.allclose(model(x, pos), reference(model)(x, pos), atol=1e-12)


def test_skipping_exactly_zero_heads_changes_nothing():
    model = limit(chunk=40)
    with torch.no_grad():
        d = model.cfg.d_model
        for block in model.blocks:
            block.attn.qkv.weight[:d] = 0  # no content logits: φ only
            block.attn.qkv.bias[:d] = 0
        model.blocks[1].attn.qkv.weight[2 * d + 4:] = 0  # head 1 of layer 1 has no values
        model.blocks[1].attn.qkv.bias[2 * d + 4:] = 0
        model.blocks[1].attn.qkv.weight[2 * d + 1] = 0  # and head 0 one value dimension fewer
        model.blocks[1].attn.qkv.bias[2 * d + 1] = 0
    plan = model.blocks[1].attn._plan(True)
    assert len(plan) == 1 and plan[0][0] == 0 and plan[0][1].tolist() == [0, 2, 3] and plan[0][2] is False
    x = torch.randint(0, 7, (2, 31))
    with torch.no_grad():
        fast = model(x)
        for block in model.blocks:
            block.attn.skip_zeros = False
        assert torch.allclose(fast, model(x), atol=1e-12)


def test_probing_path_returns_the_attention_pattern():
    model = limit(chunk=40)
    x = torch.randint(0, 7, (2, 19))
    logits, cache = model.run_with_cache(x)
    with torch.no_grad():
        assert torch.allclose(logits, model(x), atol=1e-12)
    pattern = cache["blocks.0.attn.hook_pattern"]  # (B, H, T, T)
    assert pattern.shape == (2, 2, 19, 19)
    assert torch.allclose(pattern.sum(-1), torch.ones(2, 2, 19, dtype=pattern.dtype))
    assert torch.all(pattern.triu(1) == 0)


def test_a_later_token_never_changes_an_earlier_output():
    model = limit(chunk=30)
    x = torch.randint(0, 7, (3, 25))
    y = x.clone()
    y[:, 15:] = (y[:, 15:] + 1) % 7
    with torch.no_grad():
        a, b = model(x), model(y)
    assert torch.allclose(a[:, :15], b[:, :15], atol=1e-12)
    assert not torch.allclose(a[:, 15:], b[:, 15:])


def test_an_offset_by_a_multiple_of_the_period_changes_nothing():
    model = limit(period=3)
    x = torch.randint(0, 7, (1, 20))
    with torch.no_grad():
        a = model(x, torch.arange(20)[None])
        b = model(x, torch.arange(300, 320)[None])
        c = model(x, torch.arange(1, 21)[None])
    assert torch.allclose(a, b, atol=1e-12)
    assert not torch.allclose(a, c)


def test_pair_sign_norm_reads_a_sign_at_every_scale_and_leaves_other_coordinates():
    norm = PairSignNorm(4, (1, 3)).double()
    for scale in (1.0, 1e-3, 1e-6, 1e-9):
        x = torch.tensor([[[5.0, scale, -7.0, -scale]]], dtype=torch.float64)
        y = norm(x)
        assert torch.allclose(y, torch.tensor([[[5.0, 1.0, -7.0, -1.0]]], dtype=torch.float64), atol=1e-12)
    assert norm(torch.zeros(1, 1, 4, dtype=torch.float64)).abs().max() == 0  # no NaN at 0


def test_config_checks():
    with pytest.raises(ValueError, match="periodic"):
        LimitConfig(vocab_size=3, pe="ape")
    with pytest.raises(ValueError, match="layer_norm=False"):
        LimitConfig(vocab_size=3, d_model=4, n_head=1, sign_coords=(1,))
    with pytest.raises(ValueError, match="period"):
        LimitConfig(vocab_size=3, period=0)


def test_gpt_options_relu_no_layer_norm_untied_output():
    cfg = ModelConfig(vocab_size=5, n_positions=8, n_layer=1, n_head=1, d_model=4, activation="relu",
                      layer_norm=False, tie_embeddings=False)
    model = GPT(cfg)
    assert isinstance(model.blocks[0].mlp.act, torch.nn.ReLU)
    assert isinstance(model.blocks[0].ln1, torch.nn.Identity) and isinstance(model.ln_f, torch.nn.Identity)
    assert model.lm_head.weight is not model.wte.weight
    default = GPT(ModelConfig(vocab_size=5, n_positions=8, n_layer=1, n_head=1, d_model=4))
    assert isinstance(default.blocks[0].mlp.act, torch.nn.GELU)
    assert isinstance(default.ln_f, torch.nn.LayerNorm)
    assert default.lm_head.weight is default.wte.weight
    with pytest.raises(ValueError, match="activation"):
        ModelConfig(vocab_size=5, activation="tanh")
