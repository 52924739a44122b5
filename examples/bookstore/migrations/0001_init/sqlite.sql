CREATE TABLE "author" (
    "id" INTEGER PRIMARY KEY AUTOINCREMENT,
    "name" TEXT NOT NULL UNIQUE
);
CREATE TABLE "book" (
    "id" INTEGER PRIMARY KEY AUTOINCREMENT,
    "title" TEXT NOT NULL,
    "isbn" TEXT NOT NULL UNIQUE,
    "published" INTEGER NOT NULL,
    "author_id" INTEGER NOT NULL REFERENCES "author" ("id")
);
CREATE INDEX "book_title_idx" ON "book" ("title");
