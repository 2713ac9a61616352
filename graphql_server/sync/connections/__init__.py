"""The sync side of the connection lifecycle.

Owns keeping the syncs in line with the stored Kubernetes connections
(``lifecycle``), where such a connection connects (``sources``), the command line's
clusters as connections (``command_line``), sync errors in the event log
(``sync_errors``), monitoring services found in synced clusters (``monitoring``) and
the notices the sync side sends about connections (``notices``). Starts clusters only
through the core supervisor; never talks to the operations stream.
"""
