"""/v1/merchant-invoices: the merchant's, its bank's and the payer's routes."""
