# pragma version 0.4.3
# pragma evm-version cancun
"""
@title ReserveMultisig: M-of-N custody of the national crypto reserve
@license Apache-2.0
@notice A contract wallet that moves nothing without `threshold` of its `owners`.
        Each owner signs EIP-712 typed data over the exact call (to, value, data,
        nonce); `execTransaction` takes the signatures concatenated as 65-byte
        (r, s, v) words, sorted by strictly increasing signer address (so no owner
        counts twice), checks the nonce (so an approval cannot be replayed) and runs
        the call. Owners and threshold change only through the wallet itself (a call
        the owners approved). EIP-1271 `isValidSignature` lets the wallet sign a
        publication: the owners sign a `ReserveMessage(bytes32 hash)`.
        The wallet enforces the reserve's policy on chain too: it makes only native
        transfers and ERC-20 `transfer`s, only to allow-listed destinations, and a
        movement at or above an asset's `largeUnits` must first be queued with the
        same approvals and wait `delaySeconds` (a time lock the officers cannot skip).
        See docs/reserve.md for why this contract and not Safe's.
"""

MAX_OWNERS: constant(uint256) = 16
MAX_DATA: constant(uint256) = 4096
SIGNATURE_BYTES: constant(uint256) = 65
MAX_SIGNATURES: constant(uint256) = 1040  # MAX_OWNERS * SIGNATURE_BYTES
SECP256K1N_HALF: constant(uint256) = 57896044618658097711785492504343953926418782139537452191302581570759080747168
EIP1271_MAGIC: constant(bytes4) = 0x1626ba7e
EIP1271_INVALID: constant(bytes4) = 0xffffffff

EIP712_DOMAIN_TYPEHASH: constant(bytes32) = keccak256(
    "EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)"
)
NAME_HASH: constant(bytes32) = keccak256("digisom ReserveMultisig")
VERSION_HASH: constant(bytes32) = keccak256("1")
RESERVE_TX_TYPEHASH: constant(bytes32) = keccak256(
    "ReserveTx(address to,uint256 value,bytes data,uint256 nonce)"
)
RESERVE_MESSAGE_TYPEHASH: constant(bytes32) = keccak256("ReserveMessage(bytes32 hash)")
# ERC-20 transfer(address,uint256): the only call the wallet makes to a contract other than itself.
TRANSFER_SELECTOR: constant(bytes4) = 0xa9059cbb
TRANSFER_CALL_BYTES: constant(uint256) = 68
MAX_ALLOWED: constant(uint256) = 32
MAX_DELAY_S: constant(uint256) = 2592000  # 30 days: a longer lock would strand the reserve

event Executed:
    nonce: indexed(uint256)
    to: indexed(address)
    value: uint256
    tx_hash: bytes32

event OwnerAdded:
    owner: indexed(address)

event OwnerRemoved:
    owner: indexed(address)

event ThresholdChanged:
    threshold: uint256

event Queued:
    tx_hash: indexed(bytes32)
    executable_at: uint256

event DestinationAllowed:
    destination: indexed(address)
    allowed: bool

event TimeLockChanged:
    token: indexed(address)
    large_units: uint256
    delay_s: uint256

event Received:
    sender: indexed(address)
    value: uint256

owners: public(DynArray[address, MAX_OWNERS])
isOwner: public(HashMap[address, bool])
threshold: public(uint256)
nonce: public(uint256)
allowed: public(HashMap[address, bool])
# Per asset (the token's address; the zero address for the native coin): the amount from
# which a movement is time-locked (0: never), and the lock.
largeUnits: public(HashMap[address, uint256])
delaySeconds: public(uint256)
queuedAt: public(HashMap[bytes32, uint256])


@deploy
def __init__(owners_: DynArray[address, MAX_OWNERS], threshold_: uint256,
             allowed_: DynArray[address, MAX_ALLOWED], delay_s: uint256):
    for owner: address in owners_:
        self._add_owner(owner)
    self._set_threshold(threshold_)
    for destination: address in allowed_:
        self._allow(destination, True)
    assert delay_s <= MAX_DELAY_S, "multisig: delay too long"
    self.delaySeconds = delay_s


@external
@payable
def __default__():
    # The reserve receives native coin (BNB) with a plain transfer.
    log Received(sender=msg.sender, value=msg.value)


@external
@view
def getOwners() -> DynArray[address, MAX_OWNERS]:
    return self.owners


@external
@view
def domainSeparator() -> bytes32:
    return self._domain_separator()


@external
@view
def transactionHash(to: address, value_: uint256, data: Bytes[MAX_DATA], nonce_: uint256) -> bytes32:
    """@notice The EIP-712 digest owners sign to approve this call."""
    return self._tx_digest(to, value_, data, nonce_)


@external
@view
def messageHash(hash_: bytes32) -> bytes32:
    """@notice The EIP-712 digest owners sign so that `isValidSignature(hash_, ...)` holds."""
    return self._typed(keccak256(abi_encode(RESERVE_MESSAGE_TYPEHASH, hash_)))


@external
@nonreentrant
def execTransaction(
    to: address, value_: uint256, data: Bytes[MAX_DATA], nonce_: uint256, signatures: Bytes[MAX_SIGNATURES]
) -> bool:
    """@notice Run a call approved by `threshold` distinct current owners for this nonce."""
    assert nonce_ == self.nonce, "multisig: wrong nonce"
    digest: bytes32 = self._tx_digest(to, value_, data, nonce_)
    assert self._approved(digest, signatures), "multisig: not enough valid owner signatures"
    if self._time_locked(to, value_, data):
        queued: uint256 = self.queuedAt[digest]
        assert queued != 0, "multisig: time-locked movement not queued"
        assert block.timestamp >= queued + self.delaySeconds, "multisig: inside the time lock"
    # The nonce is spent before the call, so the call cannot replay it.
    self.nonce = nonce_ + 1
    success: bool = raw_call(to, data, value=value_, revert_on_failure=False)
    assert success, "multisig: call failed"
    log Executed(nonce=nonce_, to=to, value=value_, tx_hash=digest)
    return True


@external
def queueTransaction(
    to: address, value_: uint256, data: Bytes[MAX_DATA], nonce_: uint256, signatures: Bytes[MAX_SIGNATURES]
) -> uint256:
    """@notice Start the time lock of an approved movement; returns when it may execute."""
    assert nonce_ == self.nonce, "multisig: wrong nonce"
    digest: bytes32 = self._tx_digest(to, value_, data, nonce_)
    assert self._approved(digest, signatures), "multisig: not enough valid owner signatures"
    assert self._time_locked(to, value_, data), "multisig: not a time-locked movement"
    assert self.queuedAt[digest] == 0, "multisig: already queued"
    self.queuedAt[digest] = block.timestamp
    log Queued(tx_hash=digest, executable_at=block.timestamp + self.delaySeconds)
    return block.timestamp + self.delaySeconds


@external
@view
def isValidSignature(hash_: bytes32, signatures: Bytes[MAX_SIGNATURES]) -> bytes4:
    """@notice EIP-1271: `threshold` current owners signed `ReserveMessage(hash_)`."""
    digest: bytes32 = self._typed(keccak256(abi_encode(RESERVE_MESSAGE_TYPEHASH, hash_)))
    if self._approved(digest, signatures):
        return EIP1271_MAGIC
    return EIP1271_INVALID


# --- owner management: only through the wallet itself (an approved execTransaction) ---

@external
def addOwner(owner: address, threshold_: uint256):
    assert msg.sender == self, "multisig: only the wallet itself"
    self._add_owner(owner)
    self._set_threshold(threshold_)


@external
def removeOwner(owner: address, threshold_: uint256):
    assert msg.sender == self, "multisig: only the wallet itself"
    assert self.isOwner[owner], "multisig: not an owner"
    count: uint256 = len(self.owners)
    for i: uint256 in range(MAX_OWNERS):
        if i >= count:
            break
        if self.owners[i] == owner:
            # Swap with the last and pop: order is not meaningful on chain.
            self.owners[i] = self.owners[count - 1]
            self.owners.pop()
            break
    self.isOwner[owner] = False
    log OwnerRemoved(owner=owner)
    self._set_threshold(threshold_)


@external
def changeThreshold(threshold_: uint256):
    assert msg.sender == self, "multisig: only the wallet itself"
    self._set_threshold(threshold_)


@external
def setAllowed(destination: address, allowed_: bool):
    assert msg.sender == self, "multisig: only the wallet itself"
    self._allow(destination, allowed_)


@external
def setTimeLock(token: address, large_units: uint256, delay_s: uint256):
    assert msg.sender == self, "multisig: only the wallet itself"
    assert delay_s <= MAX_DELAY_S, "multisig: delay too long"
    self.largeUnits[token] = large_units
    self.delaySeconds = delay_s
    log TimeLockChanged(token=token, large_units=large_units, delay_s=delay_s)


# --- internals ---

@internal
def _add_owner(owner: address):
    assert owner != empty(address) and owner != self, "multisig: invalid owner"
    assert not self.isOwner[owner], "multisig: duplicate owner"
    self.owners.append(owner)
    self.isOwner[owner] = True
    log OwnerAdded(owner=owner)


@internal
def _set_threshold(threshold_: uint256):
    assert threshold_ >= 1 and threshold_ <= len(self.owners), "multisig: threshold out of range"
    self.threshold = threshold_
    log ThresholdChanged(threshold=threshold_)


@internal
def _allow(destination: address, allowed_: bool):
    assert destination != empty(address) and destination != self, "multisig: invalid destination"
    self.allowed[destination] = allowed_
    log DestinationAllowed(destination=destination, allowed=allowed_)


@internal
@view
def _time_locked(to: address, value_: uint256, data: Bytes[MAX_DATA]) -> bool:
    # What the call moves, and whether it may: the wallet's own administration (owners,
    # threshold, allow-list, lock) is not a movement; a native transfer moves `value_` to
    # `to`; an ERC-20 transfer moves its amount of token `to` to its recipient. Nothing
    # else is allowed, so no approval can make the wallet call arbitrary code.
    if to == self:
        assert value_ == 0, "multisig: no value to itself"
        return False
    token: address = empty(address)
    destination: address = to
    amount: uint256 = value_
    if len(data) != 0:
        assert value_ == 0 and len(data) == TRANSFER_CALL_BYTES, "multisig: call not allowed"
        assert convert(slice(data, 0, 4), bytes4) == TRANSFER_SELECTOR, "multisig: call not allowed"
        token = to
        destination = convert(convert(extract32(data, 4), uint256), address)
        amount = convert(extract32(data, 36), uint256)
    assert self.allowed[destination], "multisig: destination not allowed"
    large: uint256 = self.largeUnits[token]
    return large != 0 and amount >= large


@internal
@view
def _domain_separator() -> bytes32:
    # Computed each time: after a chain split a signature for one chain is void on the other.
    return keccak256(abi_encode(EIP712_DOMAIN_TYPEHASH, NAME_HASH, VERSION_HASH, chain.id, self))


@internal
@view
def _typed(struct_hash: bytes32) -> bytes32:
    return keccak256(concat(b"\x19\x01", self._domain_separator(), struct_hash))


@internal
@view
def _tx_digest(to: address, value_: uint256, data: Bytes[MAX_DATA], nonce_: uint256) -> bytes32:
    return self._typed(keccak256(abi_encode(RESERVE_TX_TYPEHASH, to, value_, keccak256(data), nonce_)))


@internal
@view
def _approved(digest: bytes32, signatures: Bytes[MAX_SIGNATURES]) -> bool:
    # Every signature must be a current owner's over `digest`, signers strictly increasing
    # (distinct), and there must be at least `threshold` of them.
    size: uint256 = len(signatures)
    if size % SIGNATURE_BYTES != 0:
        return False
    count: uint256 = size // SIGNATURE_BYTES
    if count < self.threshold:
        return False
    last: uint256 = 0
    for i: uint256 in range(MAX_OWNERS):
        if i >= count:
            break
        start: uint256 = i * SIGNATURE_BYTES
        r: bytes32 = extract32(signatures, start)
        s: bytes32 = extract32(signatures, start + 32)
        v: uint256 = convert(slice(signatures, start + 64, 1), uint256)
        if convert(s, uint256) > SECP256K1N_HALF or (v != 27 and v != 28):
            return False
        signer: address = ecrecover(digest, v, r, s)
        if signer == empty(address) or not self.isOwner[signer]:
            return False
        if convert(signer, uint256) <= last:
            return False
        last = convert(signer, uint256)
    return True
