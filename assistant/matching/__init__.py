"""Matching an enterprise profile to the policy measures that apply to it ("政策找企业")."""
