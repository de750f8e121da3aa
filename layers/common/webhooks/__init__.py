"""Webhooks of the License Management Platform: the code shared by the manage, emit and deliver functions."""
