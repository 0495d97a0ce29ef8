"""Log-mel features (numpy): 16 kHz audio, 25 ms windows every 10 ms, 40 mel bands, stacked 3 frames at stride 3."""
from __future__ import annotations

import numpy as np

SAMPLE_RATE = 16000
WIN = 400
HOP = 160
N_FFT = 512
N_MELS = 40
STACK = 3
FEATURE_DIM = N_MELS * STACK


def _mel(f):
    return 2595.0 * np.log10(1.0 + f / 700.0)


def _mel_inv(m):
    return 700.0 * (10 ** (m / 2595.0) - 1.0)


def mel_filterbank(n_mels: int = N_MELS, n_fft: int = N_FFT, sr: int = SAMPLE_RATE) -> np.ndarray:
    """Triangular HTK-style mel filters, shape (n_mels, n_fft // 2 + 1)."""
    freqs = np.linspace(0, sr / 2, n_fft // 2 + 1)
    pts = _mel_inv(np.linspace(_mel(20.0), _mel(sr / 2 - 200.0), n_mels + 2))
    fb = np.zeros((n_mels, freqs.size))
    for i in range(n_mels):
        lo, mid, hi = pts[i], pts[i + 1], pts[i + 2]
        fb[i] = np.clip(np.minimum((freqs - lo) / (mid - lo), (hi - freqs) / (hi - mid)), 0, None)
    return fb


_FB = mel_filterbank()
_WINDOW = np.hanning(WIN)


def log_mel(audio: np.ndarray) -> np.ndarray:
    """(frames, N_MELS) log-mel energies of a float waveform at 16 kHz."""
    audio = np.asarray(audio, np.float64)
    if audio.size < WIN:
        audio = np.pad(audio, (0, WIN - audio.size))
    n = 1 + (audio.size - WIN) // HOP
    idx = np.arange(WIN)[None, :] + HOP * np.arange(n)[:, None]
    frames = audio[idx] * _WINDOW
    spec = np.abs(np.fft.rfft(frames, N_FFT)) ** 2
    return np.log(spec @ _FB.T + 1e-6).astype(np.float32)


def stack_frames(feats: np.ndarray, stack: int = STACK) -> np.ndarray:
    """Concatenate ``stack`` consecutive frames and keep every ``stack``-th: (frames // stack, dim * stack)."""
    n = feats.shape[0] // stack
    return feats[: n * stack].reshape(n, stack * feats.shape[1])
