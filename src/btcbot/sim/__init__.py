"""The BtcTurk emulator: a matching engine behind BtcTurk's HTTP API, with fault injection."""
