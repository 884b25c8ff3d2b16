"""The export side's domain: the 9610 flow, monthly summaries (汇总申报), tax-free records (无票免税),
returns (退运) and the receipts-of-payment reconciliation. Pure: no framework, no storage."""
