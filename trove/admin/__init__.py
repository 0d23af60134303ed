"""Instance administration: members, invitations and background-job health."""
