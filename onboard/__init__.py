"""The `onboard` command line, settings and the partner-facing entry points."""

from core.memory import no_huge_pages

no_huge_pages()  # every process that starts here (the CLI, the portal, a flow run): before numpy and pyarrow load
