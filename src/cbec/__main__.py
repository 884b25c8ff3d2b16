from cbec.cli.main import app

app()
