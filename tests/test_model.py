"""The transformer: causality, APE vs NoPE, the probing path, the positional products."""

import pytest
import torch

from lengen.devices import DeviceError, resolve_device
from lengen.model import GPT, ModelConfig


def tiny(pe: str = "ape", **kw) -> GPT:
    torch.manual_seed(0)
    return GPT(ModelConfig(vocab_size=11, n_positions=40, n_layer=2, n_head=2, d_model=16, pe=pe, **kw)).eval()


@pytest.mark.parametrize("pe", ["ape", "nope"])
def test_changing_a_later_token_never_changes_an_earlier_output(pe):
    model = tiny(pe)
    x = torch.randint(0, 11, (4, 20))
    y = x.clone()
    y[:, 12:] = (y[:, 12:] + 3) % 11
    with torch.no_grad():
        a, b = model(x), model(y)
    assert torch.allclose(a[:, :12], b[:, :12], atol=1e-6)
    assert not torch.allclose(a[:, 12:], b[:, 12:])


@pytest.mark.parametrize("pe", ["ape", "nope"])
def test_probing_path_gives_the_same_logits_as_the_fast_path(pe):
    model = tiny(pe)
    x = torch.randint(0, 11, (3, 17))
    pos = torch.arange(5, 22).expand(3, 17)
    with torch.no_grad():
        fast = model(x, pos)
    slow, cache = model.run_with_cache(x, pos)
    assert torch.allclose(fast, slow, atol=1e-5)
    assert torch.allclose(cache["logits"], slow)


def test_cache_holds_every_named_activation_with_the_documented_shapes():
    model = tiny()
    x = torch.randint(0, 11, (2, 9))
    _, cache = model.run_with_cache(x)
    for layer in range(2):
        pattern = cache[f"blocks.{layer}.attn.hook_pattern"]
        assert pattern.shape == (2, 2, 9, 9)
        assert torch.allclose(pattern.sum(-1), torch.ones(2, 2, 9))
        assert torch.all(pattern.triu(1) == 0)  # no attention to later positions
        for name in ("hook_resid_pre", "hook_resid_mid", "hook_resid_post"):
            assert cache[f"blocks.{layer}.{name}"].shape == (2, 9, 16)
    assert torch.allclose(cache["blocks.0.hook_resid_post"], cache["blocks.1.hook_resid_pre"])
    assert set(model.run_with_cache(x, names=["logits"])[1]) == {"logits"}
    assert set(model.run_with_cache(x, names=lambda n: n.endswith("hook_pattern"))[1]) == {
        "blocks.0.attn.hook_pattern",
        "blocks.1.attn.hook_pattern",
    }


def test_ape_output_depends_on_position_offset_and_nope_does_not():
    x = torch.randint(0, 11, (2, 10))
    pos = torch.arange(3, 13).expand(2, 10)
    with torch.no_grad():
        ape, nope = tiny("ape"), tiny("nope")
        assert not torch.allclose(ape(x), ape(x, pos))
        assert torch.allclose(nope(x), nope(x, pos))
    assert nope.wpe is None and ape.wpe.weight.shape == (40, 16)


def test_positions_beyond_the_table_raise_a_clear_error():
    model = tiny()
    with pytest.raises(IndexError, match="beyond the model's 40 positions"):
        model(torch.zeros(1, 5, dtype=torch.long), torch.arange(38, 43)[None])


def test_output_layer_is_tied_to_the_token_embedding():
    model = tiny()
    assert model.lm_head.weight is model.wte.weight


def test_positional_regularizer_matches_a_direct_computation():
    model = tiny()
    P = model.wpe.weight.detach()
    total = 0.0
    for block in model.blocks:
        d = 16
        wq, wk, _ = block.attn.qkv.weight.detach().split(d, dim=0)
        q, k = P @ wq.T, P @ wk.T  # (N, d)
        for h in range(2):
            qh, kh = q[:, 8 * h : 8 * (h + 1)], k[:, 8 * h : 8 * (h + 1)]
            for i in range(40):
                for j in range(i + 1):
                    total += float(qh[i] @ kh[j]) ** 2
    assert model.positional_regularizer().item() == pytest.approx(total / 40, rel=1e-4)


def test_config_rejects_bad_values():
    with pytest.raises(ValueError, match="pe must be"):
        ModelConfig(vocab_size=3, pe="rope")
    with pytest.raises(ValueError, match="divisible"):
        ModelConfig(vocab_size=3, d_model=10, n_head=3)
    for bad, match in [({"n_head": 0}, "n_head must be an integer >= 1"), ({"d_model": 0}, "d_model must be"),
                       ({"n_layer": -1}, "n_layer must be"), ({"vocab_size": 0}, "vocab_size must be"),
                       ({"n_positions": 0}, "n_positions must be"), ({"n_head": 1.0}, "n_head must be an integer"),
                       ({"dropout": 1.0}, "dropout must be in"), ({"d_mlp": -4}, "d_mlp must be")]:
        with pytest.raises(ValueError, match=match):
            ModelConfig(**{"vocab_size": 3, **bad})
    ModelConfig(vocab_size=3, n_layer=0, d_mlp=0)  # no layers and no MLP units are allowed (compiled models)


def test_seeded_models_are_identical():
    assert all(torch.equal(a, b) for a, b in zip(tiny().state_dict().values(), tiny().state_dict().values()))


def test_asking_for_cuda_without_it_is_a_clear_error():
    if torch.cuda.is_available():
        pytest.skip("this machine has CUDA")
    with pytest.raises(DeviceError, match="CUDA is not available"):
        resolve_device("cuda")
    assert resolve_device("auto").type == "cpu"


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_cuda_forward_matches_cpu():
    model = tiny()
    x = torch.randint(0, 11, (2, 10))
    with torch.no_grad():
        ref = model(x)
        got = model.to("cuda")(x.cuda()).cpu()
    assert torch.allclose(ref, got, atol=1e-4)


def random_rows(B: int, T: int, S: int, seed: int = 0) -> torch.Tensor:
    """(B, S) distinct positions per example, in increasing order, drawn from 0..T-1."""
    g = torch.Generator().manual_seed(seed)
    return torch.stack([torch.randperm(T, generator=g)[:S].sort().values for _ in range(B)])


@pytest.mark.parametrize("pe", ["ape", "nope"])
@pytest.mark.parametrize("n_layer", [0, 1, 2])
def test_logits_at_chosen_rows_equal_the_full_logits_taken_at_those_rows(pe, n_layer):
    torch.manual_seed(0)
    model = GPT(ModelConfig(vocab_size=11, n_positions=40, n_layer=n_layer, n_head=2, d_model=16, pe=pe))
    x = torch.randint(0, 11, (4, 20))
    pos = torch.arange(3, 23).expand(4, 20)
    rows = random_rows(4, 20, 6)
    full = model(x, pos)  # (B, T, V)
    chosen = model(x, pos, rows=rows)  # (B, S, V)
    assert chosen.shape == (4, 6, 11)
    expected = full.gather(1, rows.unsqueeze(-1).expand(-1, -1, 11))
    assert torch.allclose(chosen, expected, atol=1e-5)
    # ... and so are the gradients of a loss that reads only those rows
    g_full = torch.autograd.grad(expected.square().sum(), list(model.parameters()), allow_unused=True)
    g_rows = torch.autograd.grad(chosen.square().sum(), list(model.parameters()), allow_unused=True)
    for a, b in zip(g_full, g_rows):
        assert (a is None) == (b is None)
        if a is not None:
            assert torch.allclose(a, b, atol=1e-5)


def test_rows_respect_causality_even_when_listed_out_of_order():
    """A query at position p sees keys 0..p, wherever p stands in the row list."""
    model = tiny()
    x = torch.randint(0, 11, (2, 15))
    rows = torch.tensor([[9, 2, 14], [0, 7, 3]])
    y = x.clone()
    y[:, 10:] = (y[:, 10:] + 1) % 11  # change tokens after position 9
    with torch.no_grad():
        a, b, full = model(x, rows=rows), model(y, rows=rows), model(x)
    assert torch.allclose(a, full[torch.arange(2)[:, None], rows], atol=1e-5)
    unaffected = rows < 10
    assert torch.allclose(a[unaffected], b[unaffected], atol=1e-6)
    assert not torch.allclose(a[~unaffected], b[~unaffected])


def test_probing_path_with_an_attention_bias_gives_the_rows_of_the_full_logits():
    """The explicit attention (used with a positional bias, as subclasses add) takes the bias rows
    of the chosen queries."""

    class Biased(GPT):
        def attention_bias(self, layer: int, positions: torch.Tensor) -> torch.Tensor:
            T = positions.shape[1]
            i = torch.arange(T)
            return (-(i[:, None] - i[None, :]).abs().float() / 4).expand(1, self.cfg.n_head, T, T)

    torch.manual_seed(0)
    model = Biased(ModelConfig(vocab_size=11, n_positions=40, n_layer=2, n_head=2, d_model=16)).eval()
    x = torch.randint(0, 11, (3, 12))
    rows = random_rows(3, 12, 4, seed=1)
    with torch.no_grad():
        full, chosen = model(x), model(x, rows=rows)
    assert torch.allclose(chosen, full.gather(1, rows.unsqueeze(-1).expand(-1, -1, 11)), atol=1e-5)
