"""The `digisom` command line (`main.app`): the ledger's machine interface and the demo in
`main`, every other command group in its own module (`serve`, `chain`, `offline`,
`interbank`, `disburse`), imported only when one of its commands runs."""
