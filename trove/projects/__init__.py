"""Projects: briefs written through the onboarding wizard, vetting, catalogue and teams."""
