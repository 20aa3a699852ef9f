"""Invented names for demo data, from the backgrounds of the people the service works with.

Nothing here names a real person: first and family names are drawn
independently, so any match with a real household is chance. Each
background carries the languages and ethnicity answer its households tend to
give, so the equality reports and the language matching have something to show.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Background:
    female: tuple[str, ...]
    male: tuple[str, ...]
    family: tuple[str, ...]
    languages: tuple[str, ...]  # preferred languages other than English (may be empty)
    ethnicity: str  # an EQUALITY_ANSWERS["ethnicity"] code
    religions: tuple[str, ...]
    weight: int  # how often it is drawn


BACKGROUNDS: tuple[Background, ...] = (
    Background(("Emma", "Sophie", "Chloe", "Leanne", "Kerry", "Gemma", "Hannah", "Jodie", "Rachel", "Amy",
                "Lauren", "Stacey", "Margaret", "Susan", "Jean"),
               ("Daniel", "Lee", "Craig", "Jamie", "Ryan", "Liam", "Mark", "Stuart", "Ben", "Tom"),
               ("Exampleton", "Wainwright", "Hollis", "Marsh", "Tennant", "Braithwaite", "Calder", "Pell",
                "Ashworth", "Dunmore", "Fairbrother", "Cresswell"),
               (), "white_british", ("none", "christian"), 40),
    Background(("Priya", "Anjali", "Hema", "Nisha", "Kiran", "Meera", "Rupal", "Bhavna", "Sonal", "Jaya"),
               ("Arjun", "Nikhil", "Rakesh", "Vijay", "Sanjay", "Amit", "Dev", "Hitesh"),
               ("Mistrylal", "Patelwala", "Joshiram", "Chauhanji", "Lakhani", "Raval", "Solanki", "Vadgama"),
               ("gujarati",), "asian", ("hindu",), 12),
    Background(("Harpreet", "Jasvinder", "Manpreet", "Gurleen", "Simran", "Navdeep", "Rajinder", "Amrit"),
               ("Gurpreet", "Jaswant", "Harjit", "Kulwinder", "Sukhdev", "Balraj", "Ravinder"),
               ("Sandhar", "Dhillonwal", "Gillbrook", "Bains", "Sahota", "Mann", "Randhawa", "Johal"),
               ("punjabi",), "asian", ("sikh",), 8),
    Background(("Ayesha", "Fatima", "Rukhsana", "Nazia", "Samina", "Shabana", "Farzana", "Hina"),
               ("Imran", "Tariq", "Asif", "Kamran", "Zubair", "Faisal", "Adnan"),
               ("Qureshiya", "Rahmanpur", "Siddiqi", "Mirza", "Chaudhrey", "Baigal", "Hussainabad"),
               ("urdu",), "asian", ("muslim",), 8),
    Background(("Agnieszka", "Katarzyna", "Magdalena", "Joanna", "Ewelina", "Marta", "Monika"),
               ("Piotr", "Tomasz", "Krzysztof", "Marek", "Pawel", "Lukasz"),
               ("Kowalczykowa", "Nowicka", "Zielinska", "Wojcikowa", "Lewandowska", "Kaminska"),
               ("polish",), "white_other", ("christian", "none"), 6),
    Background(("Ioana", "Andreea", "Elena", "Mihaela", "Cristina", "Alina"),
               ("Andrei", "Mihai", "Florin", "Bogdan", "Ionut"),
               ("Popescuta", "Ionescul", "Dumitrana", "Stanciulescu", "Marinescu"),
               ("romanian",), "white_other", ("christian",), 4),
    Background(("Hodan", "Faduma", "Sahra", "Amina", "Ubah", "Ifrah", "Hibo"),
               ("Abdirahman", "Mohamed", "Abdullahi", "Yusuf", "Hassan"),
               ("Warsameh", "Abdilahi", "Farahan", "Jama", "Nurow", "Osmaan"),
               ("somali",), "black", ("muslim",), 6),
    Background(("Shanice", "Tanisha", "Monique", "Keisha", "Jasmine", "Marcia", "Beverley"),
               ("Marcus", "Delroy", "Tyrone", "Andre", "Winston", "Kemar"),
               ("Campbellton", "Edwardes", "Grantley", "Morrisey", "Thompsett", "Bailey-Rowe"),
               (), "black", ("christian", "none"), 5),
    Background(("Layla", "Noor", "Mariam", "Huda", "Rana", "Salma", "Reem"),
               ("Omar", "Khaled", "Ahmad", "Samir", "Yazan", "Mahmoud"),
               ("Al-Sayedi", "Haddadin", "Nasrallah", "Darwisha", "Khouryan", "Mansourieh"),
               ("arabic",), "arab", ("muslim", "christian"), 4),
    Background(("Helen", "Senait", "Yordanos", "Mebrat", "Selam", "Saba"),
               ("Dawit", "Yonas", "Tesfay", "Berhane", "Robel"),
               ("Tesfamariam", "Gebrehiwet", "Haileselase", "Kidanemariam", "Weldemichael"),
               ("tigrinya",), "refugee", ("christian",), 3),
    Background(("Rojda", "Berivan", "Zilan", "Avin", "Dilan"),
               ("Rebaz", "Karwan", "Shwan", "Dler"),
               ("Ahmadzade", "Rasulani", "Karimzadeh", "Barzanji"),
               ("kurdish",), "refugee", ("muslim", "none"), 2),
    Background(("Siobhan", "Niamh", "Aoife", "Roisin", "Brigid"),
               ("Cian", "Padraig", "Declan", "Eoin"),
               ("Ó Briain", "MacCarthaigh", "Fitzmaurice", "Donnellan", "Keoghan"),
               (), "white_other", ("christian",), 3),
    Background(("Lucia", "Ana", "Beatriz", "Joana", "Mariana"),
               ("Joao", "Tiago", "Rui", "Pedro"),
               ("Ferreirinha", "Carvalhal", "Monteirao", "Sousinha"),
               ("portuguese",), "white_other", ("christian",), 2),
    Background(("Charmaine", "Leah", "Tia", "Kayla"),
               ("Jordan", "Kai", "Jayden", "Reece"),
               ("Lovell", "Boswellton", "Smithwick", "Loveridge"),
               (), "gypsy_traveller", ("christian", "none"), 1),
    Background(("Mei", "Xiu", "Lin", "Yan"),
               ("Wei", "Jun", "Hao"),
               ("Zhangwell", "Liuford", "Chenley", "Huangbury"),
               (), "other", ("buddhist", "none"), 1),
)

CHILD_FEMALE = ("Ava", "Isla", "Amelia", "Maya", "Zara", "Aaliyah", "Lily", "Ruby", "Freya", "Inaya", "Hana",
                "Mia", "Evie", "Sienna", "Aleksandra", "Nadia", "Leyla", "Grace", "Esme", "Anaya")
CHILD_MALE = ("Noah", "Oliver", "Yusuf", "Aarav", "Leo", "Harvey", "Kacper", "Mohammed", "Jack", "Reuben",
              "Arlo", "Ibrahim", "Theo", "Ethan", "Zain", "Riley", "Mateo", "Kian", "Elijah", "Rohan")
CHILD_OTHER = ("Alex", "Sam", "Charlie", "Robin", "Jo")

# Synthetic street names: obviously not real addresses.
STREETS = ("Example Street", "Sample Road", "Specimen Lane", "Placeholder Avenue", "Demo Close",
           "Illustration Way", "Fictitious Row", "Mock Terrace", "Pretend Gardens", "Test Crescent",
           "Dummy Drive", "Imaginary Walk")

# Site names are in the clear on the vacancy board, so they say nothing about where a site is.
SITE_NAMES = ("Rowan", "Hazel", "Alder", "Willow", "Juniper", "Linden", "Holly", "Elder", "Aspen", "Cedar",
              "Laurel", "Maple", "Hawthorn", "Birch", "Poplar", "Sorrel", "Bramble", "Heather", "Ivy", "Myrtle")
