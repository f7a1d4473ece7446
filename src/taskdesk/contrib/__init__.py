"""taskdesk inside the frameworks applications already use: Django (a `django.tasks`
backend), Flask (an extension). Each module imports its framework, so it is imported only by
an application that has it (the extras `taskdesk[django]`, `taskdesk[flask]`)."""
