"""The travel rule's exchange (FATF R.16, a TRP-like JSON flow): a partner or a licensed
VASP asks before a transfer, with IVMS101 data from the threshold; the inquiry is
validated, screened, stored and answered; the sender confirms it with the transaction's
reference. docs/travel-rule.md."""
