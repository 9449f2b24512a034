"""`digisom demo`: the story of each pilot phase on the embedded default, one chapter per
module (`run` drives them and runs the ledger's own chapter); a chapter imports its domain
only when it runs."""
