"""What every page shares: the shell (mode, language, who is logged in), i18n, errors, security."""
