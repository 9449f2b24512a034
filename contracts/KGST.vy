# pragma version 0.4.3
# pragma evm-version cancun
"""
@title KGST: a stablecoin pegged 1:1 to the Kyrgyz som
@license Apache-2.0
@notice ERC-20 / BEP-20 token with the controls of a regulated stablecoin:
        two-step ownership, a master minter who gives minters allowances,
        pause, blacklist with court-ordered burning of frozen funds, rescue of
        tokens sent here by mistake, EIP-2612 permit and EIP-3009 transfer
        authorisations. The design follows Circle's FiatToken v2.2; see
        docs/kgst.md for the mapping and docs/adr/0002-kgst-immutable-contract.md
        for why there is no proxy.
@dev    A balance word holds the balance in its low 255 bits and the blacklist
        flag in its top bit, so a transfer learns both from the one storage read
        it needs anyway (as FiatToken v2.2's balanceAndBlacklistStates does).
        Total supply stays below 2**255, so no sum of balances can reach the flag.
"""

from ethereum.ercs import IERC20
from ethereum.ercs import IERC20Detailed

implements: IERC20
implements: IERC20Detailed


# --- events (FiatToken's signatures where FiatToken has the event, so its indexers work) ---

event Transfer:
    sender: indexed(address)
    receiver: indexed(address)
    value: uint256

event Approval:
    owner: indexed(address)
    spender: indexed(address)
    value: uint256

event OwnershipTransferStarted:
    previous_owner: indexed(address)
    new_owner: indexed(address)

event OwnershipTransferred:
    previous_owner: indexed(address)
    new_owner: indexed(address)

event MasterMinterChanged:
    new_master_minter: indexed(address)

event PauserChanged:
    new_address: indexed(address)

event BlacklisterChanged:
    new_blacklister: indexed(address)

event RescuerChanged:
    new_rescuer: indexed(address)

event MinterConfigured:
    minter: indexed(address)
    minter_allowed_amount: uint256

event MinterRemoved:
    old_minter: indexed(address)

event Mint:
    minter: indexed(address)
    to: indexed(address)
    amount: uint256

event Burn:
    burner: indexed(address)
    amount: uint256

event Pause:
    pass

event Unpause:
    pass

event Blacklisted:
    account: indexed(address)

event UnBlacklisted:
    account: indexed(address)

# A court-ordered seizure: who lost what, on whose order, under which reference.
event FrozenFundsBurned:
    account: indexed(address)
    amount: uint256
    court_order: bytes32
    caller: indexed(address)

event TokensRescued:
    token: indexed(address)
    to: indexed(address)
    amount: uint256

event AuthorizationUsed:
    authorizer: indexed(address)
    nonce: indexed(bytes32)

event AuthorizationCanceled:
    authorizer: indexed(address)
    nonce: indexed(bytes32)


# --- constants ---

BLACKLIST_FLAG: constant(uint256) = 2**255
BALANCE_MASK: constant(uint256) = 2**255 - 1
# Half the secp256k1 group order: signatures with a larger s are malleable copies (EIP-2).
SECP256K1N_HALF: constant(uint256) = 57896044618658097711785492504343953926418782139537452191302581570759080747168

EIP712_DOMAIN_TYPEHASH: constant(bytes32) = keccak256(
    "EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)"
)
EIP712_VERSION: constant(String[1]) = "1"
PERMIT_TYPEHASH: constant(bytes32) = keccak256(
    "Permit(address owner,address spender,uint256 value,uint256 nonce,uint256 deadline)"
)
TRANSFER_WITH_AUTHORIZATION_TYPEHASH: constant(bytes32) = keccak256(
    "TransferWithAuthorization(address from,address to,uint256 value,uint256 validAfter,uint256 validBefore,bytes32 nonce)"
)
RECEIVE_WITH_AUTHORIZATION_TYPEHASH: constant(bytes32) = keccak256(
    "ReceiveWithAuthorization(address from,address to,uint256 value,uint256 validAfter,uint256 validBefore,bytes32 nonce)"
)
CANCEL_AUTHORIZATION_TYPEHASH: constant(bytes32) = keccak256(
    "CancelAuthorization(address authorizer,bytes32 nonce)"
)


# --- immutables ---

name: public(immutable(String[64]))
symbol: public(immutable(String[32]))
decimals: public(immutable(uint8))
_NAME_HASH: immutable(bytes32)
# The separator is cached for the chain the token was deployed on and
# recomputed on any other (a fork must not accept the original chain's signatures).
_CACHED_CHAIN_ID: immutable(uint256)
_CACHED_DOMAIN_SEPARATOR: immutable(bytes32)


# --- storage ---

_balances: HashMap[address, uint256]
allowance: public(HashMap[address, HashMap[address, uint256]])
totalSupply: public(uint256)
paused: public(bool)

owner: public(address)
pendingOwner: public(address)
masterMinter: public(address)
pauser: public(address)
blacklister: public(address)
rescuer: public(address)

isMinter: public(HashMap[address, bool])
minterAllowance: public(HashMap[address, uint256])

nonces: public(HashMap[address, uint256])
_authorization_states: HashMap[address, HashMap[bytes32, bool]]


@deploy
def __init__(
    name_: String[64],
    symbol_: String[32],
    decimals_: uint8,
    owner_: address,
    master_minter: address,
    pauser_: address,
    blacklister_: address,
    rescuer_: address,
):
    """
    @notice Deploy the token with its metadata and the holders of its roles.
    @param name_ Token name, also the EIP-712 domain name.
    @param symbol_ Token symbol.
    @param decimals_ Decimal places of one unit (the som has 2, BEP-20 tokens usually 18).
    @param owner_ Owner: appoints the other roles.
    @param master_minter Master minter: configures minters and their allowances.
    @param pauser_ Pauser: stops and restarts all movements of value.
    @param blacklister_ Blacklister: freezes addresses and burns frozen funds.
    @param rescuer_ Rescuer: returns other tokens sent to this contract.
    """
    assert owner_ != empty(address), "KGST: owner is the zero address"
    assert master_minter != empty(address), "KGST: master minter is the zero address"
    assert pauser_ != empty(address), "KGST: pauser is the zero address"
    assert blacklister_ != empty(address), "KGST: blacklister is the zero address"
    assert rescuer_ != empty(address), "KGST: rescuer is the zero address"

    name = name_
    symbol = symbol_
    decimals = decimals_
    _NAME_HASH = keccak256(name_)
    _CACHED_CHAIN_ID = chain.id
    _CACHED_DOMAIN_SEPARATOR = self._build_domain_separator(keccak256(name_))

    self.owner = owner_
    self.masterMinter = master_minter
    self.pauser = pauser_
    self.blacklister = blacklister_
    self.rescuer = rescuer_
    # The token can never hold itself: KGST sent here would be lost (FiatToken v2.1 does the same).
    self._balances[self] = BLACKLIST_FLAG

    log OwnershipTransferred(previous_owner=empty(address), new_owner=owner_)
    log MasterMinterChanged(new_master_minter=master_minter)
    log PauserChanged(new_address=pauser_)
    log BlacklisterChanged(new_blacklister=blacklister_)
    log RescuerChanged(new_rescuer=rescuer_)
    log Blacklisted(account=self)


# --- ERC-20 ---

@external
@view
def balanceOf(account: address) -> uint256:
    """
    @notice Balance of `account` in the token's smallest unit.
    @param account The holder.
    @return The balance, without the blacklist flag.
    """
    return self._balances[account] & BALANCE_MASK


@external
def transfer(to: address, amount: uint256) -> bool:
    """
    @notice Move `value` from the caller to `to`.
    @dev Reverts while paused, if either side is blacklisted, or on a short balance.
    @param to The payee.
    @param amount The amount.
    @return True.
    """
    assert not self.paused, "KGST: paused"
    self._transfer(msg.sender, to, amount)
    return True


@external
def transferFrom(sender: address, to: address, amount: uint256) -> bool:
    """
    @notice Move `value` from `sender` to `to` using the caller's allowance.
    @dev An allowance of max uint256 is unlimited and is not decreased.
    @param sender The payer, who approved the caller.
    @param to The payee.
    @param amount The amount.
    @return True.
    """
    assert not self.paused, "KGST: paused"
    self._require_not_blacklisted(msg.sender, "KGST: spender blacklisted")
    allowed: uint256 = self.allowance[sender][msg.sender]
    if allowed != max_value(uint256):
        assert allowed >= amount, "KGST: transfer amount exceeds allowance"
        self.allowance[sender][msg.sender] = unsafe_sub(allowed, amount)
        log Approval(owner=sender, spender=msg.sender, value=unsafe_sub(allowed, amount))
    self._transfer(sender, to, amount)
    return True


@external
def approve(spender: address, amount: uint256) -> bool:
    """
    @notice Let `spender` move up to `value` of the caller's tokens.
    @param spender The address allowed to spend.
    @param amount The new allowance (replaces the old one).
    @return True.
    """
    assert not self.paused, "KGST: paused"
    self._approve(msg.sender, spender, amount)
    return True


@external
def increaseAllowance(spender: address, increment: uint256) -> bool:
    """
    @notice Raise `spender`'s allowance by `increment`.
    @param spender The address allowed to spend.
    @param increment The amount to add.
    @return True.
    """
    assert not self.paused, "KGST: paused"
    current: uint256 = self.allowance[msg.sender][spender]
    assert increment <= max_value(uint256) - current, "KGST: allowance overflow"
    self._approve(msg.sender, spender, current + increment)
    return True


@external
def decreaseAllowance(spender: address, decrement: uint256) -> bool:
    """
    @notice Lower `spender`'s allowance by `decrement`.
    @param spender The address allowed to spend.
    @param decrement The amount to remove.
    @return True.
    """
    assert not self.paused, "KGST: paused"
    current: uint256 = self.allowance[msg.sender][spender]
    assert decrement <= current, "KGST: decreased allowance below zero"
    self._approve(msg.sender, spender, current - decrement)
    return True


# --- minting ---

@external
def configureMinter(minter: address, minter_allowed_amount: uint256) -> bool:
    """
    @notice Make `minter` a minter, or reset its allowance, to `minter_allowed_amount`.
    @dev Master minter only; not while paused.
    @param minter The minter.
    @param minter_allowed_amount How much it may mint from now on.
    @return True.
    """
    assert msg.sender == self.masterMinter, "KGST: caller is not the master minter"
    assert not self.paused, "KGST: paused"
    assert minter != empty(address), "KGST: minter is the zero address"
    self.isMinter[minter] = True
    self.minterAllowance[minter] = minter_allowed_amount
    log MinterConfigured(minter=minter, minter_allowed_amount=minter_allowed_amount)
    return True


@external
def removeMinter(minter: address) -> bool:
    """
    @notice Take the minter role and its allowance from `minter`.
    @dev Master minter only; allowed while paused so a compromised minter can be stopped.
    @param minter The minter.
    @return True.
    """
    assert msg.sender == self.masterMinter, "KGST: caller is not the master minter"
    assert self.isMinter[minter], "KGST: not a minter"
    self.isMinter[minter] = False
    self.minterAllowance[minter] = 0
    log MinterRemoved(old_minter=minter)
    return True


@external
def mint(to: address, amount: uint256) -> bool:
    """
    @notice Create `amount` new tokens for `to`, spending the caller's minter allowance.
    @param to The recipient.
    @param amount The amount, more than zero.
    @return True.
    """
    assert self.isMinter[msg.sender], "KGST: caller is not a minter"
    assert not self.paused, "KGST: paused"
    assert to != empty(address), "KGST: mint to the zero address"
    assert amount > 0, "KGST: mint amount not greater than 0"
    self._require_not_blacklisted(msg.sender, "KGST: minter blacklisted")
    to_word: uint256 = self._balances[to]
    assert to_word < BLACKLIST_FLAG, "KGST: recipient blacklisted"
    allowed: uint256 = self.minterAllowance[msg.sender]
    assert amount <= allowed, "KGST: mint amount exceeds minter allowance"
    supply: uint256 = self.totalSupply
    # Keeps every balance, and so every sum of balances, clear of the blacklist flag.
    assert amount <= BALANCE_MASK - supply, "KGST: total supply cap exceeded"
    self.minterAllowance[msg.sender] = unsafe_sub(allowed, amount)
    self.totalSupply = unsafe_add(supply, amount)
    self._balances[to] = unsafe_add(to_word, amount)
    log Mint(minter=msg.sender, to=to, amount=amount)
    log Transfer(sender=empty(address), receiver=to, value=amount)
    return True


@external
def burn(amount: uint256):
    """
    @notice Destroy `amount` of the calling minter's own tokens (redemption).
    @param amount The amount, more than zero.
    """
    assert self.isMinter[msg.sender], "KGST: caller is not a minter"
    assert not self.paused, "KGST: paused"
    assert amount > 0, "KGST: burn amount not greater than 0"
    word: uint256 = self._balances[msg.sender]
    assert word < BLACKLIST_FLAG, "KGST: minter blacklisted"
    assert word >= amount, "KGST: burn amount exceeds balance"
    self._balances[msg.sender] = unsafe_sub(word, amount)
    self.totalSupply = unsafe_sub(self.totalSupply, amount)
    log Burn(burner=msg.sender, amount=amount)
    log Transfer(sender=msg.sender, receiver=empty(address), value=amount)


# --- pause ---

@external
def pause():
    """
    @notice Stop transfers, approvals, permits, authorisations, mints and burns.
    @dev Pauser only.
    """
    assert msg.sender == self.pauser, "KGST: caller is not the pauser"
    self.paused = True
    log Pause()


@external
def unpause():
    """
    @notice Resume normal operation.
    @dev Pauser only.
    """
    assert msg.sender == self.pauser, "KGST: caller is not the pauser"
    self.paused = False
    log Unpause()


# --- blacklist ---

@external
@view
def isBlacklisted(account: address) -> bool:
    """
    @notice Whether `account` is frozen.
    @param account The address.
    @return True if blacklisted.
    """
    return self._balances[account] >= BLACKLIST_FLAG


@external
def blacklist(account: address):
    """
    @notice Freeze `account`: it can no longer send, receive, approve or be approved.
    @dev Blacklister only. Allowed while paused.
    @param account The address to freeze.
    """
    assert msg.sender == self.blacklister, "KGST: caller is not the blacklister"
    self._balances[account] = self._balances[account] | BLACKLIST_FLAG
    log Blacklisted(account=account)


@external
def unBlacklist(account: address):
    """
    @notice Unfreeze `account`.
    @dev Blacklister only. The token contract itself stays blacklisted forever.
    @param account The address to unfreeze.
    """
    assert msg.sender == self.blacklister, "KGST: caller is not the blacklister"
    assert account != self, "KGST: the token contract stays blacklisted"
    self._balances[account] = self._balances[account] & BALANCE_MASK
    log UnBlacklisted(account=account)


@external
def burnFrozen(account: address, court_order: bytes32) -> uint256:
    """
    @notice Burn the whole balance of a blacklisted `account` under a court order.
    @dev Blacklister or owner; not while paused (nothing moves while paused).
         The account stays blacklisted. Supply falls by the amount burned.
    @param account The frozen address.
    @param court_order Reference of the order (for example a hash of its document).
    @return The amount burned.
    """
    assert msg.sender == self.blacklister or msg.sender == self.owner, "KGST: caller is not the blacklister or owner"
    assert not self.paused, "KGST: paused"
    word: uint256 = self._balances[account]
    assert word >= BLACKLIST_FLAG, "KGST: account is not blacklisted"
    amount: uint256 = word & BALANCE_MASK
    self._balances[account] = BLACKLIST_FLAG
    self.totalSupply = unsafe_sub(self.totalSupply, amount)
    log FrozenFundsBurned(account=account, amount=amount, court_order=court_order, caller=msg.sender)
    log Transfer(sender=account, receiver=empty(address), value=amount)
    return amount


# --- rescue ---

@external
def rescueERC20(token: IERC20, to: address, amount: uint256):
    """
    @notice Send `amount` of another ERC-20 `token` held by this contract to `to`.
    @dev Rescuer only. KGST itself cannot be held here (the contract is blacklisted).
         Tolerates tokens whose transfer returns nothing.
    @param token The token sent here by mistake.
    @param to The recipient, usually the sender who made the mistake.
    @param amount The amount.
    """
    assert msg.sender == self.rescuer, "KGST: caller is not the rescuer"
    assert to != empty(address), "KGST: rescue to the zero address"
    ok: bool = extcall token.transfer(to, amount, default_return_value=True)
    assert ok, "KGST: rescue transfer failed"
    log TokensRescued(token=token.address, to=to, amount=amount)


# --- roles ---

@external
def transferOwnership(new_owner: address):
    """
    @notice Start handing ownership to `new_owner`, who must accept it.
    @dev Owner only. A later call replaces the pending owner.
    @param new_owner The proposed owner.
    """
    assert msg.sender == self.owner, "KGST: caller is not the owner"
    assert new_owner != empty(address), "KGST: new owner is the zero address"
    self.pendingOwner = new_owner
    log OwnershipTransferStarted(previous_owner=msg.sender, new_owner=new_owner)


@external
def acceptOwnership():
    """
    @notice Become the owner after the owner proposed the caller.
    """
    assert msg.sender == self.pendingOwner, "KGST: caller is not the pending owner"
    previous: address = self.owner
    self.owner = msg.sender
    self.pendingOwner = empty(address)
    log OwnershipTransferred(previous_owner=previous, new_owner=msg.sender)


@external
def updateMasterMinter(new_master_minter: address):
    """
    @notice Appoint a new master minter.
    @dev Owner only.
    @param new_master_minter The new master minter.
    """
    assert msg.sender == self.owner, "KGST: caller is not the owner"
    assert new_master_minter != empty(address), "KGST: new master minter is the zero address"
    self.masterMinter = new_master_minter
    log MasterMinterChanged(new_master_minter=new_master_minter)


@external
def updatePauser(new_pauser: address):
    """
    @notice Appoint a new pauser.
    @dev Owner only.
    @param new_pauser The new pauser.
    """
    assert msg.sender == self.owner, "KGST: caller is not the owner"
    assert new_pauser != empty(address), "KGST: new pauser is the zero address"
    self.pauser = new_pauser
    log PauserChanged(new_address=new_pauser)


@external
def updateBlacklister(new_blacklister: address):
    """
    @notice Appoint a new blacklister.
    @dev Owner only.
    @param new_blacklister The new blacklister.
    """
    assert msg.sender == self.owner, "KGST: caller is not the owner"
    assert new_blacklister != empty(address), "KGST: new blacklister is the zero address"
    self.blacklister = new_blacklister
    log BlacklisterChanged(new_blacklister=new_blacklister)


@external
def updateRescuer(new_rescuer: address):
    """
    @notice Appoint a new rescuer.
    @dev Owner only.
    @param new_rescuer The new rescuer.
    """
    assert msg.sender == self.owner, "KGST: caller is not the owner"
    assert new_rescuer != empty(address), "KGST: new rescuer is the zero address"
    self.rescuer = new_rescuer
    log RescuerChanged(new_rescuer=new_rescuer)


# --- EIP-2612 permit ---

@external
@view
def DOMAIN_SEPARATOR() -> bytes32:
    """
    @notice The EIP-712 domain separator for this chain and contract.
    @return The separator.
    """
    return self._domain_separator()


@external
@view
def eip712Domain() -> (bytes1, String[64], String[1], uint256, address, bytes32, DynArray[uint256, 1]):
    """
    @notice The EIP-712 domain, field by field (EIP-5267), for wallets that build signatures.
    @return fields Bit mask of the fields used (name, version, chainId, verifyingContract).
    @return name The domain name (the token name).
    @return version The domain version.
    @return chainId The current chain id.
    @return verifyingContract This contract.
    @return salt Unused (zero).
    @return extensions None.
    """
    return (0x0f, name, EIP712_VERSION, chain.id, self, empty(bytes32), empty(DynArray[uint256, 1]))


@external
def permit(
    owner: address, spender: address, amount: uint256, deadline: uint256, v: uint8, r: bytes32, s: bytes32
):
    """
    @notice Set `spender`'s allowance over `owner`'s tokens with `owner`'s signature (EIP-2612).
    @param owner The token holder who signed.
    @param spender The address allowed to spend.
    @param amount The new allowance.
    @param deadline Last block timestamp at which the signature is valid.
    @param v Signature recovery id (27 or 28).
    @param r Signature r.
    @param s Signature s (lower half of the curve order).
    """
    assert not self.paused, "KGST: paused"
    assert deadline >= block.timestamp, "KGST: permit is expired"
    nonce: uint256 = self.nonces[owner]
    digest: bytes32 = self._typed_data_hash(
        keccak256(abi_encode(PERMIT_TYPEHASH, owner, spender, amount, nonce, deadline))
    )
    assert self._recover(digest, v, r, s) == owner, "KGST: invalid signature"
    self.nonces[owner] = unsafe_add(nonce, 1)
    self._approve(owner, spender, amount)


# --- EIP-3009 ---

@external
@view
def authorizationState(authorizer: address, nonce: bytes32) -> bool:
    """
    @notice Whether `authorizer`'s authorisation `nonce` was used or cancelled.
    @param authorizer The signer.
    @param nonce The authorisation's unique nonce.
    @return True if used or cancelled.
    """
    return self._authorization_states[authorizer][nonce]


@external
def transferWithAuthorization(
    sender: address,
    to: address,
    amount: uint256,
    valid_after: uint256,
    valid_before: uint256,
    nonce: bytes32,
    v: uint8,
    r: bytes32,
    s: bytes32,
):
    """
    @notice Execute a transfer signed by `sender` (EIP-3009); anyone may submit it.
    @param sender The payer, who signed.
    @param to The payee.
    @param amount The amount.
    @param valid_after Valid only after this timestamp.
    @param valid_before Valid only before this timestamp.
    @param nonce Unique 32-byte nonce chosen by the payer.
    @param v Signature recovery id (27 or 28).
    @param r Signature r.
    @param s Signature s.
    """
    self._transfer_with_authorization(
        TRANSFER_WITH_AUTHORIZATION_TYPEHASH, sender, to, amount, valid_after, valid_before, nonce, v, r, s
    )


@external
def receiveWithAuthorization(
    sender: address,
    to: address,
    amount: uint256,
    valid_after: uint256,
    valid_before: uint256,
    nonce: bytes32,
    v: uint8,
    r: bytes32,
    s: bytes32,
):
    """
    @notice Like transferWithAuthorization, but only the payee may submit it,
            so a watcher of the mempool cannot front-run the payee's own contract call.
    @param sender The payer, who signed.
    @param to The payee, who must be the caller.
    @param amount The amount.
    @param valid_after Valid only after this timestamp.
    @param valid_before Valid only before this timestamp.
    @param nonce Unique 32-byte nonce chosen by the payer.
    @param v Signature recovery id (27 or 28).
    @param r Signature r.
    @param s Signature s.
    """
    assert to == msg.sender, "KGST: caller must be the payee"
    self._transfer_with_authorization(
        RECEIVE_WITH_AUTHORIZATION_TYPEHASH, sender, to, amount, valid_after, valid_before, nonce, v, r, s
    )


@external
def cancelAuthorization(authorizer: address, nonce: bytes32, v: uint8, r: bytes32, s: bytes32):
    """
    @notice Cancel an unused authorisation, signed by its `authorizer`.
    @param authorizer The signer of the authorisation.
    @param nonce The authorisation's nonce.
    @param v Signature recovery id (27 or 28).
    @param r Signature r.
    @param s Signature s.
    """
    assert not self.paused, "KGST: paused"
    assert not self._authorization_states[authorizer][nonce], "KGST: authorization is used or canceled"
    digest: bytes32 = self._typed_data_hash(
        keccak256(abi_encode(CANCEL_AUTHORIZATION_TYPEHASH, authorizer, nonce))
    )
    assert self._recover(digest, v, r, s) == authorizer, "KGST: invalid signature"
    self._authorization_states[authorizer][nonce] = True
    log AuthorizationCanceled(authorizer=authorizer, nonce=nonce)


# --- internals ---

@internal
def _transfer(sender: address, to: address, amount: uint256):
    assert to != empty(address), "KGST: transfer to the zero address"
    from_word: uint256 = self._balances[sender]
    # A flagged word is >= 2**255, so one comparison checks the blacklist;
    # after it the word is the plain balance.
    assert from_word < BLACKLIST_FLAG, "KGST: sender blacklisted"
    assert from_word >= amount, "KGST: transfer amount exceeds balance"
    if to == sender:
        log Transfer(sender=sender, receiver=to, value=amount)
        return
    to_word: uint256 = self._balances[to]
    assert to_word < BLACKLIST_FLAG, "KGST: recipient blacklisted"
    self._balances[sender] = unsafe_sub(from_word, amount)
    # Cannot overflow into the flag: the sum of all balances is the supply, below 2**255.
    self._balances[to] = unsafe_add(to_word, amount)
    log Transfer(sender=sender, receiver=to, value=amount)


@internal
def _approve(owner: address, spender: address, amount: uint256):
    assert spender != empty(address), "KGST: approve to the zero address"
    self._require_not_blacklisted(owner, "KGST: owner blacklisted")
    self._require_not_blacklisted(spender, "KGST: spender blacklisted")
    self.allowance[owner][spender] = amount
    log Approval(owner=owner, spender=spender, value=amount)


@internal
@view
def _require_not_blacklisted(account: address, reason: String[32]):
    assert self._balances[account] < BLACKLIST_FLAG, reason


@internal
def _transfer_with_authorization(
    typehash: bytes32,
    sender: address,
    to: address,
    amount: uint256,
    valid_after: uint256,
    valid_before: uint256,
    nonce: bytes32,
    v: uint8,
    r: bytes32,
    s: bytes32,
):
    assert not self.paused, "KGST: paused"
    assert block.timestamp > valid_after, "KGST: authorization is not yet valid"
    assert block.timestamp < valid_before, "KGST: authorization is expired"
    assert not self._authorization_states[sender][nonce], "KGST: authorization is used or canceled"
    digest: bytes32 = self._typed_data_hash(
        keccak256(abi_encode(typehash, sender, to, amount, valid_after, valid_before, nonce))
    )
    assert self._recover(digest, v, r, s) == sender, "KGST: invalid signature"
    self._authorization_states[sender][nonce] = True
    log AuthorizationUsed(authorizer=sender, nonce=nonce)
    self._transfer(sender, to, amount)


@internal
@view
def _domain_separator() -> bytes32:
    if chain.id == _CACHED_CHAIN_ID:
        return _CACHED_DOMAIN_SEPARATOR
    return self._build_domain_separator(_NAME_HASH)


@internal
@view
def _build_domain_separator(name_hash: bytes32) -> bytes32:
    return keccak256(
        abi_encode(EIP712_DOMAIN_TYPEHASH, name_hash, keccak256(EIP712_VERSION), chain.id, self)
    )


@internal
@view
def _typed_data_hash(struct_hash: bytes32) -> bytes32:
    return keccak256(concat(b"\x19\x01", self._domain_separator(), struct_hash))


@internal
@pure
def _recover(digest: bytes32, v: uint8, r: bytes32, s: bytes32) -> address:
    # ecrecover accepts both s and n - s; only the lower half is canonical (EIP-2),
    # and it returns the zero address for a bad signature rather than failing.
    assert convert(s, uint256) <= SECP256K1N_HALF, "KGST: invalid signature 's' value"
    assert v == 27 or v == 28, "KGST: invalid signature 'v' value"
    signer: address = ecrecover(digest, v, r, s)
    assert signer != empty(address), "KGST: invalid signature"
    return signer
