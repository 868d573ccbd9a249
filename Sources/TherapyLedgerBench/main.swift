print("therapy-ledger-bench: not yet implemented")
