"""USDKG deployed on several chains at once (each an in-process EVM or an anvil node)."""

from __future__ import annotations

from dataclasses import dataclass

from eth_account import Account
from eth_account.signers.local import LocalAccount
from eth_utils.crypto import keccak

from digisom.chain.contracts import Artifact
from digisom.chain.protocol import Chain
from digisom.chain.token import TokenDeployment, TokenMetadata, TokenRoles
from digisom.chain.transactor import Transactor
from digisom.chain.usdkg import USDKG_METADATA, UsdkgToken, deploy_usdkg

ROLES = ("owner", "master_minter", "minter", "blacklister", "holder")
FUNDING_WEI = 10**21
USDKG = 10**USDKG_METADATA.decimals  # one USDKG in token units


def role_key(role: str) -> LocalAccount:
    """A fixed key per role, the same on every chain."""
    key: LocalAccount = Account.from_key(keccak(text=f"digisom USDKG chain test {role}"))
    return key


@dataclass(frozen=True)
class Deployed:
    token: UsdkgToken
    deployment: TokenDeployment
    chain: Chain

    def as_role(self, role: str) -> Transactor:
        return Transactor(self.chain, role_key(role))


def deploy(chain: Chain, artifact: Artifact, metadata: TokenMetadata = USDKG_METADATA) -> Deployed:
    """USDKG on `chain`: the owner deploys, roles apart, the minter given no allowance yet."""
    owner = role_key("owner").address
    roles = TokenRoles(owner, role_key("master_minter").address, owner, role_key("blacklister").address, owner)
    deployment = deploy_usdkg(Transactor(chain, role_key("owner")), artifact, roles, metadata=metadata)
    token = UsdkgToken(chain, artifact.abi, deployment.address, Transactor(chain, role_key("minter")),
                       Transactor(chain, role_key("master_minter")))
    return Deployed(token, deployment, chain)
