"""Prunable layer discovery and Gram collection."""
import torch
from torch import nn

from planner.layers import _rnn_inputs, calibrate, find_layers
from tests.fixtures.models import conv_net, tiny_asr


def test_lstm_gates_are_layers_with_their_own_inputs():
    m = tiny_asr()
    names = [l.name for l in find_layers(m)]
    assert names == ["lstm.weight_ih_l0", "lstm.weight_hh_l0", "lstm.weight_ih_l1", "lstm.weight_hh_l1", "output.weight"]
    x = torch.randn(2, 7, 24)
    inputs = dict(_rnn_inputs(m.lstm, x))
    h_top = m.lstm(x)[0]
    # the recurrent input of the top layer is its own output shifted by one step
    assert torch.allclose(inputs["weight_hh_l1"][:, 1:], h_top[:, :-1], atol=1e-6)
    assert torch.allclose(inputs["weight_ih_l0"], x)


def test_bidirectional_gru_reproduces_module_output():
    gru = nn.GRU(5, 6, num_layers=2, bidirectional=True, batch_first=True)
    x = torch.randn(3, 9, 5)
    ins = dict(_rnn_inputs(gru, x))
    assert set(ins) == {f"weight_{a}_l{k}{s}" for a in ("ih", "hh") for k in (0, 1) for s in ("", "_reverse")}
    assert ins["weight_ih_l1"].shape[-1] == 12


def test_gram_matches_direct_computation():
    m = tiny_asr()
    layers = find_layers(m)
    xs = [torch.randn(1, 10, 24) for _ in range(3)]
    calibrate(m, layers, xs)
    out_layer = layers[-1]
    with torch.no_grad():
        h = torch.cat([m.lstm(x)[0].reshape(-1, 48) for x in xs]).double()
    assert out_layer.samples == 30
    assert torch.allclose(out_layer.gram, h.T @ h / 30, atol=1e-9)


def test_conv_layers_use_unfolded_inputs():
    m = conv_net()
    layers = find_layers(m)
    assert [l.shape for l in layers] == [(16, 24), (16, 48), (10, 480)]
    calibrate(m, layers, [torch.randn(4, 8, 32)])
    assert layers[0].samples == 4 * 32 and layers[1].samples == 4 * 30


def test_torchscript_calibration_equals_eager():
    for factory, xs in ((tiny_asr, [torch.randn(1, 7, 24) for _ in range(3)]), (conv_net, [torch.randn(2, 8, 32)])):
        eager, scripted = factory(), torch.jit.script(factory())
        le = calibrate(eager, find_layers(eager), xs)
        ls = calibrate(scripted, find_layers(scripted), xs)
        assert [l.name for l in ls] == [l.name for l in le]
        for a, b in zip(le, ls):
            assert a.samples == b.samples and torch.allclose(a.gram, b.gram)
