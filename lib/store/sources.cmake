# store sources (owned by the shim work)
