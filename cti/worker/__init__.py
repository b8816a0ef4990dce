"""The writer process: the subscribers that write the database for every call (the call log and the
calls-join-tickets linker) moved onto a core of their own (``CTI_WRITER_PROCESS``)."""
