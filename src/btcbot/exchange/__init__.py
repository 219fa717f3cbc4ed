"""BtcTurk REST adapter: auth, wire DTOs, mappers, rate limits and error classification."""
