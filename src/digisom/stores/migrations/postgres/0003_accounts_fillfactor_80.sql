-- Accounts at fillfactor 80 instead of 50 (issue 21, round 3: scaling with accounts).
--
-- Fillfactor 50 left room on every page for the new versions of a batch's HOT updates
-- when a batch touches most of 10,000 accounts. With a million accounts a page sees
-- less than one update per batch, and the half-empty pages only doubled the table the
-- cache has to hold. 80 still leaves room for a new version of a fifth of each page's
-- rows; pruning reclaims the previous batch's dead versions before that fills up.
-- Pages written from now on follow it; existing pages keep their rows until rewritten.

ALTER TABLE accounts SET (fillfactor = 80);
