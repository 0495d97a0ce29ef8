"""Built-in models: a trained on-device LSTM CTC ASR acoustic model (``asr_lstm``, the default) with its calibration
features.  Regenerate with ``cases/asr_lstm/corpus.py`` and ``cases/asr_lstm/train.py``."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

HERE = Path(__file__).resolve().parent
BUILTIN = ("asr_lstm",)


def load_asr_lstm() -> tuple[torch.nn.Module, list[torch.Tensor], dict]:
    """The shipped ASR model (float32, eval mode), its calibration inputs ((1, frames, dim) each) and metrics."""
    from ..asr.model import AsrLstm

    ckpt_path = HERE / "asr_lstm.pt"
    if not ckpt_path.exists():
        raise FileNotFoundError(f"{ckpt_path} missing: run cases/asr_lstm/corpus.py then cases/asr_lstm/train.py")
    ckpt = torch.load(ckpt_path, map_location="cpu", weights_only=True)
    model = AsrLstm(**{k: ckpt["config"][k] for k in ("hidden", "layers", "in_dim", "vocab")})
    model.load_state_dict({k: v.float() for k, v in ckpt["state_dict"].items()})
    model.eval()
    z = np.load(HERE / "asr_lstm_calibration.npz")
    feats = np.split(z["features"].astype(np.float32), np.cumsum(z["lengths"])[:-1])
    return model, [torch.from_numpy(f)[None] for f in feats], dict(ckpt["metrics"])
