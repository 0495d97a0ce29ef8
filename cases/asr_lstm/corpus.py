"""Synthesise the speech corpus offline with espeak-ng: digit strings and voice commands, many voices, speeds and
pitches, with added noise; split into train/dev/test by text (no sentence is in two splits).

    python cases/asr_lstm/corpus.py [--utterances 3600] [--seed 0]

Writes ``cases/asr_lstm/build/corpus.npz``: stacked log-mel features (float16), texts and split names.
"""
from __future__ import annotations

import argparse
import hashlib
import io
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
from scipy.io import wavfile
from scipy.signal import resample_poly
from tqdm import tqdm

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
from planner.asr.features import SAMPLE_RATE, log_mel, stack_frames  # noqa: E402

BUILD = Path(__file__).resolve().parent / "build"
DIGITS = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "oh"]
VOICES = ["en-us", "en-gb", "en-gb-scotland", "en-gb-x-rp", "en-029", "en-gb-x-gbclan", "en-gb-x-gbcwmd"]
VARIANTS = ["", "+m1", "+m2", "+m3", "+m4", "+m5", "+m6", "+m7", "+f1", "+f2", "+f3", "+f4", "+klatt", "+croak"]
COMMANDS = [
    "turn {onoff} the {device}", "switch {onoff} the {device} in the {room}", "set a timer for {num} minutes",
    "set the {device} to {num} percent", "play {music}", "{updown} the volume", "call {person}",
    "what is the weather {when}", "remind me to call {person} {when}", "stop", "pause the {music}", "next song",
    "open the {room} door", "lock the {room} door", "is the {device} {onoff}",
]
SLOTS = {
    "onoff": ["on", "off"], "device": ["lights", "fan", "radio", "heater", "television", "oven", "lamp", "speaker"],
    "room": ["kitchen", "bedroom", "garage", "office", "living room", "hallway"],
    "num": ["five", "ten", "fifteen", "twenty", "thirty", "forty", "fifty", "two", "three", "seven"],
    "music": ["jazz", "the news", "some music", "the radio", "classical music", "my playlist", "a podcast"],
    "updown": ["increase", "decrease", "raise", "lower", "mute"],
    "person": ["mom", "dad", "alice", "bob", "the office", "grandma", "john", "maria"],
    "when": ["today", "tomorrow", "tonight", "this morning", "on monday", "at noon"],
}


def make_text(rng: np.random.Generator) -> str:
    if rng.random() < 0.45:
        return " ".join(rng.choice(DIGITS, size=rng.integers(2, 7)))
    template = COMMANDS[rng.integers(len(COMMANDS))]
    for key, options in SLOTS.items():
        while "{" + key + "}" in template:
            template = template.replace("{" + key + "}", options[rng.integers(len(options))], 1)
    return template


def split_of(text: str) -> str:
    """Deterministic split by text: about 10% test, 8% dev, the rest train."""
    h = int(hashlib.sha1(text.encode()).hexdigest(), 16) % 100
    return "test" if h < 10 else "dev" if h < 18 else "train"


def synthesise(text: str, voice: str, speed: int, pitch: int) -> np.ndarray:
    """espeak-ng to a 16 kHz float waveform."""
    wav = subprocess.run(["espeak-ng", "--stdout", "-v", voice, "-s", str(speed), "-p", str(pitch), text],
                         check=True, capture_output=True).stdout
    sr, audio = wavfile.read(io.BytesIO(wav))
    audio = audio.astype(np.float64) / 32768.0
    return resample_poly(audio, SAMPLE_RATE, sr) if sr != SAMPLE_RATE else audio


def utterance(i: int, seed: int) -> tuple[str, np.ndarray]:
    rng = np.random.default_rng([seed, i])
    text = make_text(rng)
    voice = VOICES[rng.integers(len(VOICES))] + VARIANTS[rng.integers(len(VARIANTS))]
    audio = synthesise(text, voice, int(rng.integers(120, 220)), int(rng.integers(20, 80)))
    audio = np.concatenate([np.zeros(int(rng.integers(800, 4000))), audio, np.zeros(int(rng.integers(800, 4000)))])
    snr_db = rng.uniform(5, 30)
    noise = rng.standard_normal(audio.size)
    if rng.random() < 0.5:  # pink-ish noise half of the time
        noise = np.cumsum(noise)
        noise -= np.convolve(noise, np.ones(64) / 64, mode="same")
    power = np.mean(audio**2) + 1e-12
    audio = audio + noise * np.sqrt(power / (10 ** (snr_db / 10)) / (np.mean(noise**2) + 1e-12))
    return text, stack_frames(log_mel(audio))


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--utterances", type=int, default=3600)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", type=Path, default=BUILD / "corpus.npz")
    args = ap.parse_args(argv)
    if shutil.which("espeak-ng") is None:
        sys.exit("espeak-ng not found: install it (Debian: apt-get install espeak-ng)")
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(tqdm(pool.map(lambda i: utterance(i, args.seed), range(args.utterances)),
                            total=args.utterances, desc="synthesising"))
    texts = [t for t, _ in results]
    feats = [f.astype(np.float16) for _, f in results]
    lengths = np.array([f.shape[0] for f in feats])
    args.out.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(args.out, features=np.concatenate(feats), lengths=lengths, texts=np.array(texts),
                        splits=np.array([split_of(t) for t in texts]))
    counts = {s: sum(split_of(t) == s for t in texts) for s in ("train", "dev", "test")}
    print(f"wrote {args.out}: {len(texts)} utterances {counts}, {lengths.sum()} frames")


if __name__ == "__main__":
    main()
