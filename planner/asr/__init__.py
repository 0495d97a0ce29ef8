"""The built-in on-device ASR case: log-mel features, an LSTM CTC acoustic model, greedy decoding and WER/CER."""
