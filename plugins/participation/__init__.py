"""Built-in plugins of public participation (群众点单、代表定单): suggestions, the pool, the candidate list and the vote."""
