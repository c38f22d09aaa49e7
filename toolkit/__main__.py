from .cli import cli

if __name__ == "__main__":  # a guard: "spawn" workers import the main module again
    cli(prog_name="toolkit")
