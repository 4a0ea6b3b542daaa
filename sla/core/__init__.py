"""The vocabulary every layer shares: fields and their words, the rules (declared, checked,
edited), filters and parameters (parsed, applied, described), settings from the environment,
and values made safe to show. Imports nothing else of the app."""
