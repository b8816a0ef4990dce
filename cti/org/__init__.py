"""The organisation: a tree of branches (分公司/分中心) and the service outlets under them; people, queues
and outlets are placed in it, and a supervisor's scope is their branch and everything below it."""
