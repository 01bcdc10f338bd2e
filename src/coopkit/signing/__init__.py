"""Content hashes of agreement versions and SSH signatures of sign-off records."""
