"""Accounts: patient login by SMS code, and the family members (就诊人) an account manages."""
