"""The rules of Tandem: plain functions that take values, the acting user and `now`, and flush."""
