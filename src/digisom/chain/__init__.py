"""The chain adapter: deploy, call and send on an EVM chain, wait for receipts with a
confirmation depth, and follow events through reorgs.

Two implementations of `Chain`: `EmbeddedChain` (titanoboa's in-process EVM, the
embedded default) and `RpcChain` (any JSON-RPC node through web3.py: anvil in tests,
BNB Chain in production). `KgstGateway` puts the stablecoin domain's `TokenGateway`
protocol on top of either.
"""
